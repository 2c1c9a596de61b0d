"""Messaging pages (included by trellis/messaging/urls.py, namespace "messaging")."""

from django.urls import URLPattern, path

from trellis.messaging import views

urlpatterns: list[URLPattern] = [
    path("messages/", views.inbox, name="inbox"),
    path("messages/<int:conversation_id>/", views.conversation, name="conversation"),
    path(
        "mentorships/<int:mentorship_id>/messages/",
        views.mentorship_conversation,
        name="mentorship",
    ),
    path("programs/<slug:slug>/messages/<int:user_id>/", views.direct, name="direct"),
    path("programs/<slug:slug>/announcements/", views.announcements, name="announcements"),
]
