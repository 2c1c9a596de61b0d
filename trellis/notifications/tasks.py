from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django_tasks import task


@task(queue_name="email")
def deliver_email(*, to: list[str], subject: str, body: str, html_body: str | None = None) -> int:
    """Send one email; the queue retries the row if the worker dies before it is done."""
    message = EmailMultiAlternatives(
        subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=to
    )
    if html_body:
        message.attach_alternative(html_body, "text/html")
    return message.send()
