"""The agreement page: both parts, the shared part, confirmation and status.

The pair see everything but each other's form; the program's managers and staff see
that the agreement exists and its status only; everyone else gets a 404.
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
from trellis.mentorships.models import Mentorship
from trellis.mentorships.selectors import mentorship_detail, mentorship_role


def _part_initial(part: Any) -> dict[str, Any]:
    return {field: getattr(part, field) for field in services.PART_FIELDS}


def _shared_initial(agreement: Agreement) -> dict[str, Any]:
    initial = {field: getattr(agreement, field) for field in services.SHARED_FIELDS}
    # The textarea holds plain text; the service sanitizes what comes back.
    initial["aims"] = strip_tags(agreement.aims)
    return initial


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
    agreement = selectors.agreement_for(mentorship=mentorship)
    is_pair = role in ("mentor", "mentee")
    if agreement is None and is_pair and mentorship.is_ongoing:
        services.agreement_get_or_create(mentorship)
        agreement = selectors.agreement_for(mentorship=mentorship)
    context: dict[str, Any] = {
        "mentorship": mentorship,
        "agreement": agreement,
        "role": role,
        "is_pair": is_pair,
    }
    if agreement is not None:
        own = selectors.part_of(agreement, user)
        status_value = selectors.agreement_status(agreement)
        parts = selectors.agreement_parts(agreement)
        context.update(
            {
                "status": status_value,
                "status_label": AgreementStatus(status_value).label,
                "parts": parts,
                "confirmed_names": [part.user.display_name for part in parts if part.has_confirmed],
                "own_part": own,
                "has_confirmed": own is not None and own.has_confirmed,
            }
        )
        if is_pair and own is not None:
            partner = next(part for part in parts if part.pk != own.pk)
            context.update(
                {
                    "partner_part": partner,
                    "partner_handle": selectors.partner_handle_for(
                        mentorship=mentorship, viewer=user
                    ),
                    "is_open": mentorship.is_ongoing,
                    "part_form": part_form or PartForm(initial=_part_initial(own)),
                    "shared_form": shared_form or SharedForm(initial=_shared_initial(agreement)),
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
    if mentorship_role(mentorship=mentorship, user=user) not in ("mentor", "mentee"):
        return HttpResponse("Only the pair can change their agreement.", status=403)
    agreement = services.agreement_get_or_create(mentorship)
    section = request.POST.get("section", "")
    try:
        if section == "part":
            part_form = PartForm(request.POST)
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
            shared_form = SharedForm(request.POST)
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
