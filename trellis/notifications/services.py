from __future__ import annotations

import base64
import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from trellis.accounts.models import User
from trellis.core import realtime
from trellis.notifications import delivery
from trellis.notifications.models import Notification, Reminder, ReminderOffset, ReminderPreference
from trellis.notifications.selectors import DEFAULT_OFFSETS, reminder_offsets_for
from trellis.notifications.tasks import deliver_email, deliver_prepared_email, send_reminder

logger = logging.getLogger(__name__)

# Remind each person this long before a meeting unless they chose otherwise
# (ReminderPreference, read with selectors.reminder_offsets_for): 24 h and 15 min.
REMINDER_OFFSETS: tuple[timedelta, ...] = DEFAULT_OFFSETS
# The earliest a meeting reminder can fire before its meeting, whatever people choose.
LONGEST_REMINDER_OFFSET = timedelta(minutes=max(ReminderOffset.values))


def email_send_on_commit(
    *, to: list[str], subject: str, body: str, html_body: str | None = None
) -> None:
    """Queue an email to go out once the current transaction commits."""
    transaction.on_commit(
        lambda: deliver_email.enqueue(to=to, subject=subject, body=body, html_body=html_body)
    )


def email_message_send_on_commit(*, message: EmailMultiAlternatives) -> None:
    """Queue a prepared email, extra parts and attachments included, to go out on commit.

    The task's arguments are JSON, so text parts travel as they are and attachments as
    base64; the worker rebuilds the same message.
    """
    alternatives = [[str(content), str(mimetype)] for content, mimetype in message.alternatives]
    attachments = []
    for attachment in message.attachments:
        if not isinstance(attachment, tuple):
            raise TypeError("Only (filename, content, mimetype) attachments can be queued.")
        filename, content, mimetype = attachment
        raw = content.encode() if isinstance(content, str) else bytes(content)
        attachments.append([filename, base64.b64encode(raw).decode(), mimetype])
    to, subject, body = list(message.to), str(message.subject), str(message.body)
    from_email = str(message.from_email) if message.from_email else None
    transaction.on_commit(
        lambda: deliver_prepared_email.enqueue(
            to=to,
            subject=subject,
            body=body,
            from_email=from_email,
            alternatives=alternatives,
            attachments=attachments,
        )
    )


def notification_send(
    *,
    recipient: User,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    send_email: bool = True,
    is_urgent: bool = False,
) -> Notification:
    """Store an in-app notification, push it live and (by default) email it, on commit.

    `url` is a site path such as "/programs/x/"; the email links to it absolutely.
    Unless `is_urgent`, the push and the email wait for the recipient's contact hours
    (see notifications.delivery); the stored row shows under the bell at once.
    """
    notification = Notification(
        recipient=recipient, kind=kind, title=title[:200], body=body, url=url
    )
    notification.full_clean()
    notification.save()
    hold_until = None if is_urgent else delivery.held_until(recipient=recipient)
    if hold_until is not None:
        delivery.deliver_at(notification_id=notification.pk, send_email=send_email, at=hold_until)
        return notification
    notification_announce(notification=notification, send_email=send_email)
    return notification


def notification_announce(*, notification: Notification, send_email: bool) -> None:
    """Push a stored notification to the recipient's open tabs and email it, on commit."""
    recipient = notification.recipient
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
        url = notification.url
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


def reminder_schedule(
    *, key: str, recipient: User, fire_at: datetime, title: str, body: str = "", url: str = ""
) -> Reminder:
    """Store a reminder and queue its task to run at ``fire_at``, on commit.

    Scheduling a key the recipient already has pending moves that reminder: the task queued
    for the old time finds it not yet due and stays silent. With a queue that cannot delay
    tasks, ``reminders_send_due`` (cron) sends it.
    """
    if timezone.is_naive(fire_at):
        raise ValueError("fire_at must be an aware datetime.")
    with transaction.atomic():
        reminder = (
            Reminder.objects.select_for_update()
            .filter(key=key, recipient=recipient, sent_at__isnull=True, cancelled_at__isnull=True)
            .first()
        )
        if reminder is None:
            reminder = Reminder(key=key, recipient=recipient)
        reminder.fire_at = fire_at
        reminder.title = title[:200]
        reminder.body = body
        reminder.url = url
        reminder.full_clean(validate_constraints=False)  # the database checks the constraint
        reminder.save()
    reminder_id = reminder.pk
    transaction.on_commit(lambda: _reminder_enqueue(reminder_id=reminder_id, fire_at=fire_at))
    return reminder


def _reminder_enqueue(*, reminder_id: int, fire_at: datetime) -> None:
    backend = send_reminder.get_backend()
    if backend.supports_defer:
        send_reminder.using(run_after=fire_at).enqueue(reminder_id=reminder_id)
    elif fire_at <= timezone.now():
        send_reminder.enqueue(reminder_id=reminder_id)
    else:
        logger.info("The task queue cannot delay; reminder %s waits for cron.", reminder_id)


def reminders_cancel(*, key_prefix: str, recipient: User | None = None) -> int:
    """Cancel every pending reminder whose key starts with ``key_prefix`` (only recipient's
    when given, e.g. someone who left a group keeps none of its meetings' reminders)."""
    if not key_prefix:
        raise ValueError("Refusing to cancel every reminder: give a key prefix.")
    reminders = Reminder.objects.filter(
        key__startswith=key_prefix, sent_at__isnull=True, cancelled_at__isnull=True
    )
    if recipient is not None:
        reminders = reminders.filter(recipient_id=recipient.pk)
    return reminders.update(cancelled_at=timezone.now(), updated_at=timezone.now())


def reminders_cancel_keys(*, keys: Iterable[str]) -> int:
    """Cancel the pending reminders with exactly these keys (a prefix would catch more)."""
    keys = list(keys)
    if not keys:
        return 0
    return Reminder.objects.filter(
        key__in=keys, sent_at__isnull=True, cancelled_at__isnull=True
    ).update(cancelled_at=timezone.now(), updated_at=timezone.now())


def reminder_fire(*, reminder_id: int) -> bool:
    """Send the reminder if it is pending and due; return whether it was sent.

    The row lock makes the queued task and ``reminders_send_due`` send it once between them.
    """
    with transaction.atomic():
        reminder = (
            Reminder.objects.select_for_update()
            .select_related("recipient")
            .filter(pk=reminder_id)
            .first()
        )
        now = timezone.now()
        if reminder is None or not reminder.is_pending or reminder.fire_at > now:
            return False
        reminder.sent_at = now
        reminder.save(update_fields=["sent_at", "updated_at"])
        if reminder.recipient.is_active:
            # A reminder is asked for a given moment: contact hours do not hold it back.
            notification_send(
                recipient=reminder.recipient,
                kind="reminder",
                title=reminder.title,
                body=reminder.body,
                url=reminder.url,
                is_urgent=True,
            )
    return True


def reminders_send_due(*, limit: int = 500) -> int:
    """Send up to ``limit`` overdue pending reminders (cron's safety net); return how many."""
    due = Reminder.objects.filter(
        fire_at__lte=timezone.now(), sent_at__isnull=True, cancelled_at__isnull=True
    ).values_list("pk", flat=True)[:limit]
    return sum(reminder_fire(reminder_id=reminder_id) for reminder_id in list(due))


@transaction.atomic
def reminder_preference_update(*, user: User, offsets: Iterable[Any]) -> ReminderPreference:
    """Save how long before meetings the person wants reminding; re-plan theirs on commit.

    ``offsets`` are minutes from ReminderOffset (an empty list: no meeting reminders);
    anything else raises ValidationError and changes nothing. On commit a task re-plans the
    person's pending meeting reminders: keys that no longer apply are cancelled, the new
    ones scheduled, none in the past. The daily sweep (``manage.py meetings_remind``) plans
    from the saved preference as well, so it repairs whatever a lost task left undone.
    """
    chosen = list(offsets)
    if all(isinstance(minutes, int) for minutes in chosen):
        chosen = sorted(set(chosen), reverse=True)  # ticking a time twice asks for it once
    ReminderPreference(user=user, offsets=chosen).clean_fields(exclude=["user"])
    before = reminder_offsets_for(user=user)
    preference, _ = ReminderPreference.objects.update_or_create(
        user=user, defaults={"offsets": chosen}
    )
    if tuple(timedelta(minutes=minutes) for minutes in chosen) != before:
        user_id = user.pk
        transaction.on_commit(lambda: _meeting_reminders_replan_enqueue(user_id=user_id))
    return preference


def _meeting_reminders_replan_enqueue(*, user_id: int) -> None:
    # Scheduling builds meeting reminders on top of this app, so it is imported late.
    from trellis.scheduling.tasks import meeting_reminders_replan_task

    meeting_reminders_replan_task.enqueue(user_id=user_id)
