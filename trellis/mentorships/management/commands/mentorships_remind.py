"""Send the program-driven mentorship reminders that are due (run it once a day)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from trellis.mentorships.services import mentorships_remind
from trellis.mentorships.tasks import mentorships_remind_task


class Command(BaseCommand):
    help = (
        "Tell pairs their mentorship ends in two weeks, and prompt them to wrap up on its "
        "expected end date; each reminder goes once. Nudge pairs who fell behind their "
        "meeting cadence (at most once per interval). Schedule it with cron or a systemd "
        "timer, e.g. 0 7 * * * manage.py mentorships_remind."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Queue the reminders for the background worker instead of sending them here.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["enqueue"]:
            result = mentorships_remind_task.enqueue()
            self.stdout.write(f"Mentorship reminders queued ({result.id}).")
            return
        total = 0
        while count := mentorships_remind():  # in batches, until nothing is due
            total += count
        self.stdout.write(f"Sent reminders for {total} mentorship(s).")
