from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "trellis.programs"
    label = "programs"
