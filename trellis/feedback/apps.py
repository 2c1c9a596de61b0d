from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "trellis.feedback"
    default_auto_field = "django.db.models.BigAutoField"
