from django.urls import path

from trellis.events import views

app_name = "events"

urlpatterns = [
    path("programs/<slug:slug>/events/", views.event_list, name="list"),
    path("programs/<slug:slug>/events/new/", views.event_new, name="new"),
    path("events/<int:event_id>/", views.event_detail, name="detail"),
    path("events/<int:event_id>/edit/", views.event_edit, name="edit"),
    path("events/<int:event_id>/cancel/", views.event_cancel, name="cancel"),
    path("events/<int:event_id>/rsvp/", views.rsvp, name="rsvp"),
    path("events/<int:event_id>/rsvp/cancel/", views.rsvp_cancel, name="rsvp_cancel"),
    path("events/<int:event_id>/share/", views.share, name="share"),
    path("events/<int:event_id>/event.ics", views.event_ics, name="ics"),
]
