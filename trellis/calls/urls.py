from django.urls import path

from trellis.calls import views

app_name = "calls"

urlpatterns = [
    path("calls/<str:room>/", views.room, name="room"),
    path("calls/<str:room>/decline/", views.decline, name="decline"),
    path(
        "meetings/<int:series_id>/<str:recurrence_id>/call/",
        views.meeting_room,
        name="meeting_room",
    ),
    path("mentorships/<int:mentorship_id>/call-now/", views.call_now, name="call_now"),
]
