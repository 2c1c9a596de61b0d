from django.urls import path

from trellis.dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("", views.home, name="home"),
]
