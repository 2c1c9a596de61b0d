from django.urls import path

from trellis.introductions import views

app_name = "introductions"

urlpatterns = [
    path("mentorships/<int:mentorship_id>/introduce/", views.introduction_new, name="new"),
    path("introductions/", views.introduction_list, name="list"),
    path("introductions/answer/<str:token>/", views.answer, name="answer"),
    path("introductions/<int:introduction_id>/", views.introduction_detail, name="detail"),
    path(
        "introductions/<int:introduction_id>/<slug:action>/",
        views.introduction_act,
        name="act",
    ),
]
