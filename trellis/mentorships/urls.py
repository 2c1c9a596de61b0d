from django.urls import path

from trellis.mentorships import views

app_name = "mentorships"

urlpatterns = [
    path("mentorships/", views.mentorship_list, name="list"),
    path("mentorships/<int:mentorship_id>/", views.mentorship_detail, name="detail"),
    path(
        "mentorships/<int:mentorship_id>/<slug:action>/",
        views.mentorship_act,
        name="act",
    ),
    path("programs/<slug:slug>/mentors/", views.mentor_directory, name="mentors"),
    path(
        "programs/<slug:slug>/mentors/<int:mentor_id>/favourite/",
        views.mentor_favourite,
        name="mentor_favourite",
    ),
    path(
        "programs/<slug:slug>/mentors/<int:mentor_id>/request/",
        views.request_send,
        name="request_send",
    ),
    path("programs/<slug:slug>/mentees/", views.mentee_directory, name="mentees"),
    path(
        "programs/<slug:slug>/mentees/<int:mentee_id>/mark/",
        views.mentee_mark,
        name="mentee_mark",
    ),
    path(
        "programs/<slug:slug>/mentees/<int:mentee_id>/offer/",
        views.offer_send,
        name="offer_send",
    ),
    path("programs/<slug:slug>/requests/", views.requests_page, name="requests"),
    path(
        "programs/<slug:slug>/requests/<int:request_id>/<slug:action>/",
        views.request_act,
        name="request_act",
    ),
    path(
        "programs/<slug:slug>/offers/<int:offer_id>/<slug:action>/",
        views.offer_act,
        name="offer_act",
    ),
]
