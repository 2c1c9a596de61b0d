"""Time building the demo on a fresh SQLite database and count the rows it makes.

Run: DEBUG=true .venv/bin/python benchmarks/demo_load.py
"""

from __future__ import annotations

import time

import bootstrap
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from trellis.demo.services import demo_build, demo_load


def main() -> None:
    migrate_seconds = bootstrap.migrate()
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = demo_build()
        build_seconds = time.perf_counter() - started
    started = time.perf_counter()
    again = demo_load()
    second_run_seconds = time.perf_counter() - started
    assert again.created is False

    started = time.perf_counter()
    demo_load(reset=True)
    reset_seconds = time.perf_counter() - started

    print(f"Demo “{result.organisation.name}” on {bootstrap.DATABASE_FILE.name} (SQLite)\n")
    bootstrap.print_table(
        ["step", "seconds", "SQL queries"],
        [
            ["migrate (fresh database)", f"{migrate_seconds:.2f}", "-"],
            ["demo_build", f"{build_seconds:.2f}", len(queries.captured_queries)],
            ["demo_load again (no-op)", f"{second_run_seconds:.3f}", "-"],
            ["demo_load --reset", f"{reset_seconds:.2f}", "-"],
        ],
    )
    print()
    labels = [
        "accounts.User",
        "account.EmailAddress",
        "profiles.Profile",
        "profiles.AvailabilityWindow",
        "programs.Organisation",
        "programs.Program",
        "programs.IntakeQuestion",
        "programs.Enrollment",
        "programs.IntakeAnswer",
        "notifications.Notification",
    ]
    rows: list[list[object]] = [[label, apps.get_model(label).objects.count()] for label in labels]
    rows.append(["total", sum(int(str(row[1])) for row in rows)])
    bootstrap.print_table(["model", "rows"], rows)


if __name__ == "__main__":
    main()
