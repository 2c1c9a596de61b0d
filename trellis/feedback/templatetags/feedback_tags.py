from __future__ import annotations

from typing import Any

from django import template

from trellis.feedback import selectors

register = template.Library()


def _pulse_context(context: Any, pulse: Any, place: str) -> dict[str, Any]:
    # Imported here: the views import the selectors and services, which a template
    # library loaded at start-up need not pull in before the apps are ready.
    from trellis.feedback.views import pulse_context

    request = context["request"]
    return pulse_context(
        request=request, pulse=pulse, place=place, next_url=request.get_full_path()
    )


@register.inclusion_tag("feedback/_mentorship_section.html", takes_context=True)
def feedback_mentorship_section(context: Any, mentorship: Any) -> dict[str, Any]:
    """The "Feedback" card of the mentorship page, for its current participants only:
    the latest recent meeting they have not rated (one tap) and their open surveys."""
    feedback = selectors.mentorship_feedback(mentorship=mentorship, user=context["user"])
    values = _pulse_context(context, feedback.pulse if feedback else None, "mentorship")
    values.update({"mentorship": mentorship, "feedback": feedback})
    return values


@register.inclusion_tag("feedback/_pulse.html", takes_context=True)
def meeting_pulse(context: Any, series: Any, recurrence_id: str) -> dict[str, Any]:
    """The one-tap "how useful was it" of one meeting occurrence, for its participants."""
    pulse = selectors.pulse_view(series=series, recurrence_id=recurrence_id, user=context["user"])
    return _pulse_context(context, pulse, "meeting")


@register.inclusion_tag("feedback/_dashboard_surveys.html", takes_context=True)
def feedback_surveys_waiting(context: Any) -> dict[str, Any]:
    """The dashboard's "Surveys waiting for you", when there are any."""
    return {"surveys": selectors.surveys_waiting(user=context["user"]), "user": context["user"]}
