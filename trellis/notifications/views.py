from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from trellis.core.errors import NotFoundError
from trellis.notifications import selectors, services
from trellis.notifications.models import Notification


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    notifications = selectors.notification_list(user=request.user)  # type: ignore[arg-type]
    return render(request, "notifications/list.html", {"notifications": notifications})


@login_required
@require_POST
def notification_open(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark one notification read and go where it points."""
    notification = get_object_or_404(Notification, pk=notification_id)
    try:
        services.notification_mark_read(notification=notification, by=request.user)  # type: ignore[arg-type]
    except NotFoundError as error:
        raise Http404(str(error)) from error
    target = notification.url
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("notifications:list")


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    services.notification_mark_all_read(user=request.user)  # type: ignore[arg-type]
    return redirect("notifications:list")
