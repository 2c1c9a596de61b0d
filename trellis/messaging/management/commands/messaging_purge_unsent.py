"""Delete attachments uploaded but never sent, after a day (run it hourly or daily)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from trellis.messaging.files import unsent_attachments_purge


class Command(BaseCommand):
    help = (
        "Delete attachments uploaded more than a day ago and never sent, with their files. "
        "Schedule it with cron, e.g. 17 * * * * manage.py messaging_purge_unsent."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = unsent_attachments_purge()
        self.stdout.write(f"Deleted {deleted} unsent attachment(s).")
