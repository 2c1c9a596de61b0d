"""Refresh the busy time of every subscribed calendar (run it every hour)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from trellis.calendars.services import external_calendars_refresh_all


class Command(BaseCommand):
    help = (
        "Queue a background fetch of every calendar people subscribe to for free/busy time. "
        "Schedule it with cron, e.g. 17 * * * * manage.py calendars_refresh."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        count = external_calendars_refresh_all()
        self.stdout.write(f"Queued a refresh of {count} calendar(s).")
