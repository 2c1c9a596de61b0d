from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter

from trellis.notifications.services import email_send_on_commit


class AccountAdapter(DefaultAccountAdapter):
    """Route account emails (verification, reset) through the task queue on commit."""

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        message = self.render_mail(template_prefix, email, context)
        html_body = None
        for content, mimetype in getattr(message, "alternatives", []) or []:
            if mimetype == "text/html":
                html_body = content
        email_send_on_commit(
            to=list(message.to),
            subject=message.subject,
            body=message.body,
            html_body=html_body,
        )
