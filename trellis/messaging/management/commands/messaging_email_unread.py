"""Email members whose unread messages are due (run it every minute from cron)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from trellis.messaging.tasks import unread_emails_send_due


class Command(BaseCommand):
    help = (
        "Send every due 'unread messages' email (after MESSAGING_EMAIL_DELAY_MINUTES, inside "
        "the recipient's contact hours, never twice): needed when the task queue cannot "
        "delay, and the safety net behind the queued tasks otherwise. Schedule it with "
        "cron, e.g. * * * * * manage.py messaging_email_unread."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        sent = unread_emails_send_due()
        self.stdout.write(f"Sent {sent} unread-messages email(s).")
