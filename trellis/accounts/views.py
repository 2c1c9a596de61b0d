from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from trellis.accounts import selectors, services
from trellis.accounts.forms import TokenCreateForm
from trellis.accounts.models import PersonalAccessToken


@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    """List the person's API tokens and create a new one (shown once)."""
    new_token = None
    form = TokenCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        expires_on = form.cleaned_data["expires_at"]
        expires_at = (
            dt.datetime.combine(expires_on, dt.time.max, tzinfo=timezone.get_current_timezone())
            if expires_on
            else None
        )
        try:
            _, new_token = services.personal_access_token_create(
                user=request.user,  # type: ignore[arg-type]
                name=form.cleaned_data["name"],
                expires_at=expires_at,
            )
        except ValidationError as error:
            for field, field_errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, field_errors)
        else:
            form = TokenCreateForm()
    tokens = selectors.personal_access_token_list(user=request.user)  # type: ignore[arg-type]
    return render(
        request,
        "accounts/tokens.html",
        {"form": form, "tokens": tokens, "new_token": new_token},
        status=422 if form.errors else 200,
    )


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(PersonalAccessToken, pk=token_id, user=request.user)
    services.personal_access_token_revoke(token=token, by=request.user)  # type: ignore[arg-type]
    messages.success(request, f"Token “{token.name}” revoked.")
    return redirect("accounts:tokens")
