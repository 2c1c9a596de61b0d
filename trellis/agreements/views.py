"""The agreement page: everyone's parts, the shared part, confirmation and status.

The current participants (a pair, or a group's mentor and current members) see every
current part, their own as a form; the program's managers and staff see that the
agreement exists and its status only; everyone else, a member who left included, gets
a 404.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import strip_tags
from django.views.decorators.http import require_http_methods

from trellis.accounts.models import User
from trellis.agreements import selectors, services
from trellis.agreements.forms import PartForm, SharedForm
from trellis.agreements.models import Agreement, AgreementStatus
from trellis.core.errors import NotFoundError, PermissionDeniedError
from trellis.core.text import join_names
from trellis.mentorships.models import Mentorship
from trellis.mentorships.selectors import mentorship_detail, mentorship_role


def _part_initial(part: Any) -> dict[str, Any]:
    return {field: getattr(part, field) for field in services.PART_FIELDS}


def _shared_initial(agreement: Agreement) -> dict[str, Any]:
    initial = {field: getattr(agreement, field) for field in services.SHARED_FIELDS}
    # The textarea holds plain text; the service sanitizes what comes back.
    initial["aims"] = strip_tags(agreement.aims)
    return initial


def _people_label(mentorship: Mentorship) -> str:
    if not mentorship.is_group:
        return f"{mentorship.mentor.display_name} and {mentorship.pair_mentee.display_name}"
    return f"{mentorship.mentor.display_name}'s group"


def _status_text(*, status: str, is_group: bool, is_participant: bool, has_confirmed: bool) -> str:
    """The badge: whom a participant waits for; everyone else reads the status."""
    if status != AgreementStatus.WAITING or not is_participant:
        return str(AgreementStatus(status).label)
    if not has_confirmed:
        return "Waiting for you"
    return "Waiting for the others" if is_group else "Waiting for your partner"


def _agreement_for_participant(mentorship: Mentorship) -> Agreement | None:
    """The agreement, with a part for every current participant (made on first sight)."""
    agreement = selectors.agreement_for(mentorship=mentorship)
    if not mentorship.is_ongoing:
        return agreement
    if agreement is None or selectors.agreement_missing_participant_ids(agreement):
        services.agreement_get_or_create(mentorship)
        agreement = selectors.agreement_for(mentorship=mentorship)
    return agreement


def _render(
    request: HttpRequest,
    mentorship: Mentorship,
    *,
    part_form: PartForm | None = None,
    shared_form: SharedForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = cast(User, request.user)
    role = mentorship_role(mentorship=mentorship, user=user)
    if role is None:
        raise Http404("No such mentorship.")
    is_participant = role in ("mentor", "mentee")
    is_group = mentorship.is_group
    if is_participant:
        agreement = _agreement_for_participant(mentorship)
    else:
        agreement = selectors.agreement_for(mentorship=mentorship)
    context: dict[str, Any] = {
        "mentorship": mentorship,
        "agreement": agreement,
        "role": role,
        "is_participant": is_participant,
        "is_group": is_group,
        "people_label": _people_label(mentorship),
    }
    if agreement is not None:
        own = selectors.part_of(agreement, user)
        status_value = selectors.agreement_status(agreement)
        parts = selectors.agreement_parts(agreement)
        has_confirmed = own is not None and own.has_confirmed
        waiting = selectors.agreement_waiting_for(agreement)
        context.update(
            {
                "status": status_value,
                "status_text": _status_text(
                    status=status_value,
                    is_group=is_group,
                    is_participant=is_participant,
                    has_confirmed=has_confirmed,
                ),
                "parts": parts,
                "confirmed_names": join_names(
                    [part.user.display_name for part in parts if part.has_confirmed]
                ),
                # Pairs read it from the badge; a group names who is still to confirm.
                "waiting_names": join_names(
                    ["you" if person.pk == user.pk else person.display_name for person in waiting]
                )
                if is_group and status_value != AgreementStatus.AGREED
                else "",
                "own_part": own,
                "has_confirmed": has_confirmed,
            }
        )
        if is_participant:
            handles = selectors.handles_visible_to(agreement=agreement, viewer=user)
            context.update(
                {
                    "other_parts": [
                        {"part": part, "handle": handles.get(part.user_id)}
                        for part in parts
                        if part.user_id != user.pk
                    ],
                    "is_open": mentorship.is_ongoing and own is not None,
                    "part_form": part_form
                    or (PartForm(initial=_part_initial(own), is_group=is_group) if own else None),
                    "shared_form": shared_form
                    or SharedForm(initial=_shared_initial(agreement), is_group=is_group),
                    "history": selectors.agreement_confirmations(agreement=agreement),
                }
            )
    return render(request, "agreements/agreement.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def agreement_page(request: HttpRequest, mentorship_id: int) -> HttpResponse:
    try:
        mentorship = mentorship_detail(mentorship_id=mentorship_id, user=request.user)
    except NotFoundError as error:
        raise Http404(str(error)) from error
    if request.method == "GET":
        return _render(request, mentorship)
    user = cast(User, request.user)
    role = mentorship_role(mentorship=mentorship, user=user)
    if role is None:
        raise Http404("No such mentorship.")
    if role not in ("mentor", "mentee"):
        who = "the group" if mentorship.is_group else "the pair"
        return HttpResponse(f"Only {who} can change their agreement.", status=403)
    is_group = mentorship.is_group
    agreement = services.agreement_get_or_create(mentorship)
    section = request.POST.get("section", "")
    try:
        if section == "part":
            part_form = PartForm(request.POST, is_group=is_group)
            if not part_form.is_valid():
                return _render(request, mentorship, part_form=part_form, status=422)
            try:
                services.agreement_update_part(
                    agreement=agreement, by=user, **part_form.cleaned_data
                )
            except ValidationError as error:
                part_form.add_service_errors(error)
                return _render(request, mentorship, part_form=part_form, status=422)
            messages.success(request, "Your part of the agreement is saved.")
        elif section == "shared":
            shared_form = SharedForm(request.POST, is_group=is_group)
            if not shared_form.is_valid():
                return _render(request, mentorship, shared_form=shared_form, status=422)
            try:
                services.agreement_update_shared(
                    agreement=agreement, by=user, **shared_form.cleaned_data
                )
            except ValidationError as error:
                shared_form.add_service_errors(error)
                return _render(request, mentorship, shared_form=shared_form, status=422)
            messages.success(request, "The shared part of the agreement is saved.")
        elif section == "confirm":
            services.agreement_confirm(agreement=agreement, by=user)
            messages.success(request, "You confirmed the agreement.")
        else:
            return HttpResponse("Unknown section.", status=400)
    except PermissionDeniedError as error:
        return HttpResponse(str(error), status=403)
    return redirect("agreements:page", mentorship_id=mentorship.pk)
