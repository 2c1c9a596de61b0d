from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from trellis.accounts.models import User
from trellis.core import realtime
from trellis.notifications.models import Notification
from trellis.notifications.tasks import deliver_email


def email_send_on_commit(
    *, to: list[str], subject: str, body: str, html_body: str | None = None
) -> None:
    """Queue an email to go out once the current transaction commits."""
    transaction.on_commit(
        lambda: deliver_email.enqueue(to=to, subject=subject, body=body, html_body=html_body)
    )


def notification_send(
    *,
    recipient: User,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    send_email: bool = True,
) -> Notification:
    """Store an in-app notification, push it live and (by default) email it, on commit.

    `url` is a site path such as "/programs/x/"; the email links to it absolutely.
    """
    notification = Notification(
        recipient=recipient, kind=kind, title=title[:200], body=body, url=url
    )
    notification.full_clean()
    notification.save()
    unread = Notification.objects.filter(recipient=recipient, read_at__isnull=True).count()
    realtime.publish(
        [recipient.pk],
        {
            "type": "notification.created",
            "id": notification.pk,
            "title": notification.title,
            "url": notification.url,
            "unread_count": unread,
        },
    )
    if send_email and recipient.is_active:
        context = {
            "notification": notification,
            "recipient": recipient,
            "absolute_url": settings.SITE_URL.rstrip("/") + url if url else "",
        }
        email_send_on_commit(
            to=[recipient.email],
            subject=f"[Trellis] {notification.title}",
            body=render_to_string("notifications/email.txt", context),
        )
    return notification


def notification_mark_read(*, notification: Notification, by: User) -> Notification:
    from trellis.core.errors import NotFoundError

    if notification.recipient_id != by.pk:
        raise NotFoundError("No such notification.")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at", "updated_at"])
    return notification


def notification_mark_all_read(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
