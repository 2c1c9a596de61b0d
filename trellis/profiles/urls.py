from django.urls import path

from trellis.profiles import views

app_name = "profiles"

urlpatterns = [
    path("", views.profile_edit, name="edit"),
    path("<int:user_id>/", views.profile_detail, name="detail"),
    path(
        "availability/exceptions/",
        views.availability_exceptions,
        name="availability_exceptions",
    ),
    path(
        "availability/exceptions/<str:day>/delete/",
        views.availability_exception_delete,
        name="availability_exception_delete",
    ),
]
