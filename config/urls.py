from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path
from django.views.static import serve

from config.api import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("trellis.dashboard.urls")),
    path("accounts/", include("allauth.urls")),
    path("account/", include("trellis.accounts.urls")),
    path("profile/", include("trellis.profiles.urls")),
    path("programs/", include("trellis.programs.urls")),
    path("programs/<slug:slug>/manage/matching/", include("trellis.matching.urls")),
    # /calls/<room>/, /meetings/<id>/<occurrence>/call/ and /mentorships/<id>/call-now/:
    # before scheduling's /meetings/<id>/<occurrence>/<action>/ and mentorships' actions.
    path("", include("trellis.calls.urls")),
    # Issue 7: /mentorships/<id>/{goals,wins,plan,feedback}/..., /goals/..., /wins/...,
    # /programs/<slug>/wins/, /programs/<slug>/manage/{plans,surveys}/, /surveys/...:
    # before mentorships' /mentorships/<id>/<action>/.
    path("", include("trellis.goals.urls")),
    path("", include("trellis.wins.urls")),
    path("", include("trellis.plans.urls")),
    path("", include("trellis.feedback.urls")),
    # Issue 8: /mentorships/<id>/{notes,resources,introduce}/..., /meetings/<id>/<occ>/notes/,
    # /notes/..., /resources/..., /introductions/..., /events/...,
    # /programs/<slug>/{resources,events}/ and /programs/<slug>/manage/resources/:
    # before scheduling's /meetings/... and mentorships' /mentorships/<id>/<action>/.
    path("", include("trellis.notes.urls")),
    path("", include("trellis.resources.urls")),
    path("", include("trellis.introductions.urls")),
    path("", include("trellis.events.urls")),
    # Before mentorships: its /mentorships/<id>/<action>/ would take "agreement".
    path("", include("trellis.agreements.urls")),
    # /mentorships/<id>/schedule/ and /meetings/...: before mentorships' /<id>/<action>/.
    path("", include("trellis.scheduling.urls")),
    # /messages/..., /mentorships/<id>/messages/, /programs/<slug>/{messages,announcements}/.
    path("", include("trellis.messaging.urls")),
    # Pages under /mentorships/ and /programs/<slug>/{mentors,mentees,requests,offers}/.
    path("", include("trellis.mentorships.urls")),
    path("notifications/", include("trellis.notifications.urls")),
    # /account/calendar/ (settings) and /calendar/<token>.ics (the secret feed).
    path("", include("trellis.calendars.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]

if settings.SERVE_MEDIA:
    # Small installs serve uploaded photos themselves; larger ones let the proxy do it.
    urlpatterns += [
        re_path(
            r"^{}(?P<path>.*)$".format(settings.MEDIA_URL.lstrip("/")),
            serve,
            {"document_root": settings.MEDIA_ROOT},
        )
    ]
