"""Load the demo organisation (once) and print the demo logins."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from trellis.demo.services import DEMO_LOGINS, DEMO_PASSWORD, DEMO_SEED, demo_load


class Command(BaseCommand):
    help = (
        "Create the Meridian Alliance demo: two programs, 40 mentors and 120 mentees. "
        "Does nothing if it exists, unless --reset is given."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--reset", action="store_true", help="Delete the demo data and build it again."
        )
        parser.add_argument(
            "--seed", type=int, default=DEMO_SEED, help="Random seed (same seed, same people)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        result = demo_load(seed=options["seed"], reset=options["reset"])
        if result.created:
            summary = ", ".join(f"{count} {name}" for name, count in result.counts.items())
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo “{result.organisation.name}” created in "
                    f"{time.monotonic() - started:.1f}s: {summary}."
                )
            )
        else:
            self.stdout.write(
                f"Demo “{result.organisation.name}” already exists; nothing changed "
                "(use --reset to rebuild it)."
            )
        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING(f"Demo logins at {settings.SITE_URL}"))
        width = max(len(login.role) for login in DEMO_LOGINS)
        for login in DEMO_LOGINS:
            self.stdout.write(f"  {login.role.ljust(width)}  {login.email}")
        self.stdout.write(f"  {'Password'.ljust(width)}  {DEMO_PASSWORD}  (all demo accounts)")
        self.stdout.write(
            "  Other accounts: mentor01..mentor40 and mentee001..mentee120 @demo.trellis.test"
        )
