from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from trellis.dashboard.selectors import dashboard_for_user


@login_required
def home(request: HttpRequest) -> HttpResponse:
    dashboard = dashboard_for_user(user=request.user)  # type: ignore[arg-type]
    return render(request, "dashboard/home.html", {"dashboard": dashboard})
