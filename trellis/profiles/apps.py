from django.apps import AppConfig


class ProfilesConfig(AppConfig):
    name = "trellis.profiles"
    label = "profiles"
