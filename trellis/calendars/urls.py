from django.urls import path

from trellis.calendars import views

app_name = "calendars"

urlpatterns = [
    path("account/calendar/", views.calendar_settings, name="settings"),
    path("account/calendar/feed/", views.feed_token_create, name="feed_create"),
    path("account/calendar/feed/revoke/", views.feed_token_revoke, name="feed_revoke"),
    path("account/calendar/subscriptions/", views.external_calendar_add, name="external_add"),
    path(
        "account/calendar/subscriptions/<int:calendar_id>/remove/",
        views.external_calendar_remove,
        name="external_remove",
    ),
    path("account/calendar/reminders/", views.reminder_preference_save, name="reminders"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="feed"),
]
