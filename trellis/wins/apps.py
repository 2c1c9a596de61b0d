from django.apps import AppConfig


class WinsConfig(AppConfig):
    name = "trellis.wins"
    default_auto_field = "django.db.models.BigAutoField"
