from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse


@login_required
def profile_edit(request: HttpRequest) -> HttpResponse:
    return HttpResponse("placeholder")
