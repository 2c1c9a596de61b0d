from django.urls import path

from trellis.wins import views

app_name = "wins"

urlpatterns = [
    path("programs/<slug:slug>/wins/", views.wall, name="wall"),
    path("wins/<int:win_id>/", views.detail, name="detail"),
    path("wins/<int:win_id>/decide/", views.decide, name="decide"),
    path("wins/<int:win_id>/edit/", views.edit, name="edit"),
    path("wins/<int:win_id>/react/", views.react, name="react"),
    path("wins/<int:win_id>/comments/", views.comments, name="comments"),
    path("wins/<int:win_id>/hide/", views.hide, name="hide"),
    path("wins/<int:win_id>/unhide/", views.unhide, name="unhide"),
    path("win-comments/<int:comment_id>/delete/", views.comment_delete, name="comment_delete"),
    path("mentorships/<int:mentorship_id>/wins/new/", views.create, name="create"),
]
