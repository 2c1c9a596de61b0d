from django.urls import include, path

app_name = "messaging"

urlpatterns = [
    path("", include("trellis.messaging.urls_pages")),
    path("", include("trellis.messaging.urls_files")),
]
