from django.urls import path

from trellis.plans import views

app_name = "plans"

MANAGE = "programs/<slug:slug>/manage/plans/"
TEMPLATE = MANAGE + "<int:template_id>/"

urlpatterns = [
    path("mentorships/<int:mentorship_id>/plan/", views.timeline, name="timeline"),
    path(
        "mentorships/<int:mentorship_id>/plan/items/<int:item_id>/done/",
        views.item_done,
        name="item_done",
    ),
    path(
        "mentorships/<int:mentorship_id>/plan/items/<int:item_id>/goal/",
        views.item_goal,
        name="item_goal",
    ),
    path(MANAGE, views.manage, name="manage"),
    path(MANAGE + "use/", views.manage_use, name="manage_use"),
    path(TEMPLATE, views.manage_template, name="manage_template"),
    path(TEMPLATE + "copy/", views.manage_copy, name="manage_copy"),
    path(TEMPLATE + "archive/", views.manage_archive, name="manage_archive"),
    path(TEMPLATE + "steps/<int:step_id>/", views.manage_step, name="manage_step"),
    path(
        TEMPLATE + "steps/<int:step_id>/delete/",
        views.manage_step_delete,
        name="manage_step_delete",
    ),
    path(TEMPLATE + "steps/<int:step_id>/move/", views.manage_step_move, name="manage_step_move"),
]
