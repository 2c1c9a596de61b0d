"""Downloads of attachments and event cards (included by trellis/messaging/urls.py)."""

from django.urls import URLPattern, path

from trellis.messaging import views_files

urlpatterns: list[URLPattern] = [
    path(
        "messages/files/<int:attachment_id>/",
        views_files.attachment_download,
        name="attachment",
    ),
    path("messages/cards/<int:message_id>.ics", views_files.card_ics, name="card_ics"),
]
