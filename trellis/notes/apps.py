from django.apps import AppConfig


class NotesConfig(AppConfig):
    name = "trellis.notes"
    default_auto_field = "django.db.models.BigAutoField"
