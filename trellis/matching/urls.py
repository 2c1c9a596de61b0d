"""Managers' matching pages, mounted at /programs/<slug>/manage/matching/."""

from django.urls import path

from trellis.matching import views

app_name = "matching"

urlpatterns = [
    path("", views.matching_home, name="home"),
    path("criteria/", views.criterion_add, name="criterion_add"),
    path("criteria/customise/", views.criteria_customise, name="criteria_customise"),
    path("criteria/<int:criterion_id>/", views.criterion_edit, name="criterion_edit"),
    path("criteria/<int:criterion_id>/delete/", views.criterion_delete, name="criterion_delete"),
    path("criteria/<int:criterion_id>/move/", views.criterion_move, name="criterion_move"),
    path("runs/", views.run_start, name="run_start"),
    path("runs/<int:run_id>/", views.run_detail, name="run"),
    path("runs/<int:run_id>/swap/", views.run_swap, name="run_swap"),
    path("runs/<int:run_id>/resolve/", views.run_resolve, name="run_resolve"),
    path("runs/<int:run_id>/publish/", views.run_publish, name="run_publish"),
    path("runs/<int:run_id>/discard/", views.run_discard, name="run_discard"),
    path("runs/<int:run_id>/pairs/<int:pair_id>/lock/", views.pair_lock, name="pair_lock"),
    path(
        "runs/<int:run_id>/mentees/<int:mentee_id>/mentor/",
        views.mentee_assign,
        name="mentee_assign",
    ),
]
