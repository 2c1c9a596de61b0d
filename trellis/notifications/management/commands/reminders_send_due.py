"""Send the reminders whose time has come and that no task has sent (run it every minute)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from trellis.notifications.services import reminders_send_due


class Command(BaseCommand):
    help = (
        "Send every overdue reminder that is neither sent nor cancelled: the safety net "
        "behind the queued reminder tasks. Schedule it with cron, e.g. "
        "* * * * * manage.py reminders_send_due."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        total = 0
        while count := reminders_send_due():  # in batches, until nothing is due
            total += count
        self.stdout.write(f"Sent {total} reminder(s).")
