from django.urls import path

from trellis.programs import views

app_name = "programs"

urlpatterns = [
    path("", views.program_list, name="list"),
    path("manage/new/", views.program_create, name="create"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation"),
    path("<slug:slug>/", views.program_detail, name="detail"),
    path("<slug:slug>/join/", views.program_join, name="join"),
    path("<slug:slug>/leave/", views.program_leave, name="leave"),
    path("<slug:slug>/manage/", views.manage_settings, name="manage"),
    path("<slug:slug>/manage/questions/", views.manage_questions, name="manage_questions"),
    path(
        "<slug:slug>/manage/questions/<int:question_id>/",
        views.manage_question_edit,
        name="manage_question_edit",
    ),
    path(
        "<slug:slug>/manage/questions/<int:question_id>/delete/",
        views.manage_question_delete,
        name="manage_question_delete",
    ),
    path(
        "<slug:slug>/manage/questions/<int:question_id>/move/",
        views.manage_question_move,
        name="manage_question_move",
    ),
    path(
        "<slug:slug>/manage/participants/",
        views.manage_participants,
        name="manage_participants",
    ),
    path(
        "<slug:slug>/manage/participants/bulk/",
        views.manage_participants_bulk,
        name="manage_participants_bulk",
    ),
    path(
        "<slug:slug>/manage/participants/<int:enrollment_id>/decide/",
        views.manage_participant_decide,
        name="manage_participant_decide",
    ),
    path("<slug:slug>/manage/invitations/", views.manage_invitations, name="manage_invitations"),
    path(
        "<slug:slug>/manage/invitations/<int:invitation_id>/revoke/",
        views.manage_invitation_revoke,
        name="manage_invitation_revoke",
    ),
]
