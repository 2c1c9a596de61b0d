"""Labels for the raw choice values the program selectors annotate."""

from __future__ import annotations

from django import template

from trellis.programs.models import EnrollmentMode, EnrollmentStatus, ProgramType, Role

register = template.Library()

STATUS_LABELS = {
    EnrollmentStatus.PENDING: "Applied, waiting for approval",
    EnrollmentStatus.APPROVED: "Taking part",
    EnrollmentStatus.DECLINED: "Declined",
    EnrollmentStatus.LEFT: "Left",
}


@register.filter
def enrollment_status_label(value: str | None) -> str:
    return STATUS_LABELS.get(value, "") if value else ""  # type: ignore[call-overload]


@register.filter
def role_label(value: str | None) -> str:
    return str(Role(value).label) if value in Role.values else ""


@register.filter
def program_type_label(value: str | None) -> str:
    return str(ProgramType(value).label) if value in ProgramType.values else ""


@register.filter
def enrollment_mode_label(value: str | None) -> str:
    labels = {
        EnrollmentMode.OPEN: "Open to all",
        EnrollmentMode.APPLICATION: "By application",
        EnrollmentMode.INVITE_ONLY: "By invitation",
    }
    return labels.get(value, "") if value else ""  # type: ignore[call-overload]


@register.filter
def answer_text(value: object) -> str:
    """An intake answer as text: lists joined with commas."""
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return "" if value is None else str(value)
