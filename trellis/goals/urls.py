from django.urls import path

from trellis.goals import views

app_name = "goals"

urlpatterns = [
    path("mentorships/<int:mentorship_id>/goals/", views.goal_list, name="list"),
    path("goals/<int:goal_id>/", views.goal_detail, name="detail"),
    path("goals/<int:goal_id>/edit/", views.goal_edit, name="edit"),
    path("goals/<int:goal_id>/milestones/", views.milestone_add, name="milestone_add"),
    path("goals/<int:goal_id>/check-ins/", views.check_in_add, name="check_in_add"),
    path("goals/<int:goal_id>/<slug:action>/", views.goal_act, name="act"),
    path("goals/milestones/<int:milestone_id>/edit/", views.milestone_edit, name="milestone_edit"),
    path(
        "goals/milestones/<int:milestone_id>/<slug:action>/",
        views.milestone_act,
        name="milestone_act",
    ),
    path(
        "goals/meetings/<int:series_id>/<str:recurrence_id>/agenda/",
        views.agenda_add,
        name="agenda_add",
    ),
    path("goals/agenda-items/<int:item_id>/remove/", views.agenda_remove, name="agenda_remove"),
]
