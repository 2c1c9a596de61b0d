from django.urls import path

from trellis.scheduling import views

app_name = "scheduling"

urlpatterns = [
    path("mentorships/<int:mentorship_id>/schedule/", views.schedule, name="schedule"),
    path("mentorships/<int:mentorship_id>/schedule/propose/", views.propose, name="propose"),
    path("mentorships/<int:mentorship_id>/schedule/book/", views.book, name="book"),
    path(
        "meetings/proposals/<int:proposal_id>/<slug:action>/",
        views.proposal_act,
        name="proposal_act",
    ),
    path("meetings/<int:series_id>/<str:recurrence_id>/", views.meeting, name="meeting"),
    path(
        "meetings/<int:series_id>/<str:recurrence_id>/<slug:action>/",
        views.occurrence_act,
        name="occurrence_act",
    ),
]
