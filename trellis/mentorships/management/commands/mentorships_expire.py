"""Expire mentorship requests and offers past their time (run it every 15 minutes or so)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from trellis.mentorships.services import requests_expire
from trellis.mentorships.tasks import requests_expire_task


class Command(BaseCommand):
    help = (
        "Expire mentorship requests and offers nobody answered in time; an unanswered "
        "request rolls over to the mentee's next choice. Schedule it with cron or a "
        "systemd timer, e.g. */15 * * * * manage.py mentorships_expire."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Queue the sweep for the background worker instead of running it here.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["enqueue"]:
            result = requests_expire_task.enqueue()
            self.stdout.write(f"Expiry sweep queued ({result.id}).")
            return
        total = 0
        while count := requests_expire():  # in batches, until nothing is due
            total += count
        self.stdout.write(f"Expired {total} request(s) and offer(s).")
