"""Introductions as the tests need them, and the outside person's token from their email."""

from __future__ import annotations

import re
from typing import Any

from django.core import mail

from trellis.introductions import services
from trellis.introductions.models import Introduction
from trellis.introductions.tests.conftest import OUTSIDE_EMAIL

MESSAGE = "You both love data pipelines; Kim ran the team Noah wants to join."


def introduce(world: dict[str, Any], **fields: Any) -> Introduction:
    """Mara introduces Noah to Kim (or to ``fields``: contact_name and contact_email)."""
    if "contact_email" not in fields:
        fields.setdefault("contact", world["contact"])
    fields.setdefault("message", MESSAGE)
    return services.introduction_create(
        mentorship=world["pair"], by=world["mentor"], mentee=world["mentee"], **fields
    )


def introduce_outside(world: dict[str, Any], captured: Any) -> tuple[Introduction, str]:
    """Mara introduces Noah to Olga, outside Trellis; the token comes from Olga's email."""
    with captured(execute=True):
        introduction = introduce(world, contact_name="Olga Outside", contact_email=OUTSIDE_EMAIL)
    return introduction, token_from_outbox()


def token_from_outbox(to: str = OUTSIDE_EMAIL) -> str:
    """The token of the latest answer link emailed to ``to``."""
    for message in reversed(mail.outbox):
        if to in message.to:
            found = re.search(r"/introductions/answer/([^/\s]+)/", message.body)
            if found:
                return found.group(1)
    raise AssertionError(f"No answer link was emailed to {to}.")


def all_mail_to(address: str) -> str:
    """Everything emailed to ``address`` so far, subjects and bodies."""
    return "\n".join(
        f"{message.subject}\n{message.body}" for message in mail.outbox if address in message.to
    )
