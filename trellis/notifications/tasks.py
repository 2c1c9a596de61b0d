from __future__ import annotations

import base64

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


@task(queue_name="email")
def deliver_prepared_email(
    *,
    to: list[str],
    subject: str,
    body: str,
    from_email: str | None = None,
    alternatives: list[list[str]] | None = None,
    attachments: list[list[str]] | None = None,
) -> int:
    """Send an email with extra parts, such as an invitation's text/calendar and .ics file.

    ``alternatives`` are ``[content, mimetype]`` pairs (the mimetype may carry parameters,
    e.g. ``text/calendar; method=REQUEST``); ``attachments`` are ``[filename,
    base64 content, mimetype]`` triples, base64 so the arguments stay JSON.
    """
    message = EmailMultiAlternatives(
        subject=subject, body=body, from_email=from_email or settings.DEFAULT_FROM_EMAIL, to=to
    )
    for content, mimetype in alternatives or []:
        message.attach_alternative(content, mimetype)
    for filename, encoded, mimetype in attachments or []:
        message.attach(filename, base64.b64decode(encoded), mimetype)
    return message.send()


@task()
def send_reminder(*, reminder_id: int) -> bool:
    """Send a reminder if it is still due; moved or cancelled ones stay silent."""
    from trellis.notifications.services import reminder_fire

    return reminder_fire(reminder_id=reminder_id)
