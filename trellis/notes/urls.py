from django.urls import URLPattern, path

from trellis.notes import views

app_name = "notes"

urlpatterns: list[URLPattern] = [
    path("mentorships/<int:mentorship_id>/notes/", views.mentorship_notes, name="mentorship"),
    path(
        "meetings/<int:series_id>/<str:recurrence_id>/notes/",
        views.meeting_notes,
        name="meeting",
    ),
    path("notes/<int:document_id>/history/", views.history, name="history"),
    path(
        "notes/<int:document_id>/versions/<int:version_id>/restore/",
        views.restore,
        name="restore",
    ),
]
