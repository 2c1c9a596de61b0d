"""End introductions nobody finished answering in time (run it every hour or so)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from trellis.introductions.services import introductions_expire


class Command(BaseCommand):
    help = (
        "End pending introductions past their time; each introducer is told it will not "
        "go ahead for now. Schedule it with cron, e.g. 0 * * * * manage.py introductions_expire."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        total = 0
        while count := introductions_expire():  # in batches, until nothing is due
            total += count
        self.stdout.write(f"Ended {total} introduction(s) past their time.")
