from django.apps import AppConfig


class CalendarsConfig(AppConfig):
    name = "trellis.calendars"
    label = "calendars"
