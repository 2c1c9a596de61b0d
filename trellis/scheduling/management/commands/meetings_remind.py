"""Keep every meeting of the next two weeks reminded (run it once a day)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from trellis.scheduling.services import meeting_reminders_top_up
from trellis.scheduling.tasks import meeting_reminders_top_up_task


class Command(BaseCommand):
    help = (
        "Schedule the reminders of every meeting in the next 14 days (booking schedules "
        "only the next few of a series) and cancel those matching no meeting any more; "
        "running it again changes nothing. Schedule it with cron or a systemd timer, "
        "e.g. 30 6 * * * manage.py meetings_remind."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Queue the sweep for the background worker instead of running it here.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["enqueue"]:
            result = meeting_reminders_top_up_task.enqueue()
            self.stdout.write(f"Meeting reminder sweep queued ({result.id}).")
            return
        top_up = meeting_reminders_top_up()
        self.stdout.write(
            f"Scheduled {top_up.scheduled} reminder(s), cancelled {top_up.cancelled}."
        )
