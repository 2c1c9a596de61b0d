from django.urls import path

from trellis.agreements import views

app_name = "agreements"

urlpatterns = [
    path("mentorships/<int:mentorship_id>/agreement/", views.agreement_page, name="page"),
]
