from django.urls import path

from trellis.resources import views

app_name = "resources"

MANAGE = "programs/<slug:slug>/manage/resources/"

urlpatterns = [
    path("programs/<slug:slug>/resources/", views.library, name="library"),
    path("resources/<int:resource_id>/", views.detail, name="detail"),
    path("resources/<int:resource_id>/recommend/", views.recommend, name="recommend"),
    path("resources/<int:resource_id>/file/", views.download, name="download"),
    path("resources/<int:resource_id>/edit/", views.edit, name="edit"),
    path("resources/<int:resource_id>/<slug:action>/", views.archive, name="archive"),
    path(MANAGE, views.manage, name="manage"),
    path(MANAGE + "new/", views.manage_new, name="new"),
    path(MANAGE + "<int:resource_id>/<slug:action>/", views.hide, name="hide"),
    path(
        "mentorships/<int:mentorship_id>/resources/",
        views.mentorship_resources,
        name="mentorship",
    ),
    path(
        "mentorships/<int:mentorship_id>/resources/<int:recommendation_id>/done/",
        views.recommendation_done,
        name="done",
    ),
]
