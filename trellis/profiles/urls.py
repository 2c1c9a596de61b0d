from django.urls import path

from trellis.profiles import views

app_name = "profiles"

urlpatterns = [
    path("", views.profile_edit, name="edit"),
    path("<int:user_id>/", views.profile_detail, name="detail"),
]
