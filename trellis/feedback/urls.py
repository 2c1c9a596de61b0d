from django.urls import URLPattern, path

from trellis.feedback import views

app_name = "feedback"

MANAGE = "programs/<slug:slug>/manage/feedback/"
SURVEY = MANAGE + "surveys/<int:survey_id>/"
QUESTION = SURVEY + "questions/<int:question_id>/"

urlpatterns: list[URLPattern] = [
    path("meetings/<int:series_id>/<str:recurrence_id>/pulse/", views.pulse, name="pulse"),
    path("surveys/", views.survey_list, name="surveys"),
    path("surveys/<int:assignment_id>/", views.survey_detail, name="survey"),
    path(MANAGE, views.manage, name="manage"),
    path(SURVEY, views.manage_survey, name="manage_survey"),
    path(SURVEY + "activate/", views.manage_survey_activate, name="manage_survey_activate"),
    path(SURVEY + "questions/", views.manage_question_add, name="manage_question_add"),
    path(SURVEY + "results/", views.manage_results, name="manage_results"),
    path(QUESTION, views.manage_question_edit, name="manage_question_edit"),
    path(QUESTION + "delete/", views.manage_question_delete, name="manage_question_delete"),
    path(QUESTION + "move/", views.manage_question_move, name="manage_question_move"),
]
