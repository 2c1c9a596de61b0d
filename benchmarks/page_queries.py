"""Count the SQL queries of the main pages with the demo loaded, for several people.

Run: DEBUG=true .venv/bin/python benchmarks/page_queries.py
"""

from __future__ import annotations

import time

import bootstrap
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from trellis.accounts.models import User
from trellis.demo.services import MANAGER_EMAIL, STAFF_EMAIL, demo_build, mentee_email, mentor_email

PAGES = [("dashboard", "/"), ("programs list", "/programs/"), ("notifications", "/notifications/")]
PEOPLE = [
    ("manager", MANAGER_EMAIL),
    ("staff", STAFF_EMAIL),
    ("mentor01", mentor_email(1)),
    ("mentee001", mentee_email(1)),
]


def main() -> None:
    bootstrap.migrate()
    demo_build()
    rows: list[list[object]] = []
    for person, email in PEOPLE:
        client = Client()
        client.force_login(User.objects.get(email=email))
        for page, path in PAGES:
            client.get(path)  # warm caches (templates, content types) first
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(path)
                milliseconds = (time.perf_counter() - started) * 1000
            rows.append(
                [
                    page,
                    person,
                    response.status_code,
                    len(queries.captured_queries),
                    f"{milliseconds:.1f}",
                    f"{len(response.content) / 1024:.1f}",
                ]
            )
    print("Pages with the demo loaded (162 people, 2 programs), SQLite\n")
    bootstrap.print_table(["page", "as", "status", "queries", "ms", "KiB"], rows)


if __name__ == "__main__":
    main()
