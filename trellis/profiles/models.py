from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django_countries.fields import CountryField

from trellis.core.models import TimeStampedModel
from trellis.core.time import validate_time_zone


class CommunicationMode(models.TextChoices):
    VIDEO = "video", "Video"
    PHONE = "phone", "Phone"
    CHAT = "chat", "Chat"
    EMAIL = "email", "Email"
    IN_PERSON = "in_person", "In person"


class MeetingFrequency(models.TextChoices):
    WEEKLY = "weekly", "Every week"
    FORTNIGHTLY = "fortnightly", "Every two weeks"
    MONTHLY = "monthly", "Every month"


class Seniority(models.IntegerChoices):
    STUDENT = 1, "Student or intern"
    ENTRY = 2, "Entry level"
    MID = 3, "Mid level"
    SENIOR = 4, "Senior"
    LEAD = 5, "Lead or principal"
    DIRECTOR = 6, "Director"
    EXECUTIVE = 7, "Executive"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class Profile(TimeStampedModel):
    """One per person, reused in every program they join."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    display_name = models.CharField(max_length=100)
    pronouns = models.CharField(max_length=40, blank=True)
    headline = models.CharField(max_length=140, blank=True)
    bio = models.TextField(max_length=3000, blank=True)
    photo = models.ImageField(upload_to="photos/%Y/%m/", blank=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    # ISO 639-1 codes, e.g. ["en", "es"].
    languages = models.JSONField(default=list, blank=True)
    city = models.CharField(max_length=100, blank=True)
    country = CountryField(blank=True)
    organisation = models.CharField(max_length=120, blank=True)
    department = models.CharField(max_length=120, blank=True)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="direct_reports",
        help_text="Your line manager, so you are never matched inside your reporting line.",
    )
    seniority = models.PositiveSmallIntegerField(choices=Seniority.choices, null=True, blank=True)
    # Lists of short, lower-cased tags.
    skills_offered = models.JSONField(default=list, blank=True)
    skills_sought = models.JSONField(default=list, blank=True)
    interests = models.JSONField(default=list, blank=True)
    values = models.JSONField(default=list, blank=True)
    goals = models.TextField(max_length=3000, blank=True)
    communication_modes = models.JSONField(default=list, blank=True)
    # Local times in time_zone; empty means "no preference".
    contact_hours_start = models.TimeField(null=True, blank=True)
    contact_hours_end = models.TimeField(null=True, blank=True)
    quiet_hours_start = models.TimeField(null=True, blank=True)
    quiet_hours_end = models.TimeField(null=True, blank=True)
    meeting_frequency = models.CharField(
        max_length=20, choices=MeetingFrequency.choices, blank=True
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(seniority__isnull=True) | Q(seniority__gte=1, seniority__lte=7),
                name="profile_seniority_range",
            ),
            models.CheckConstraint(
                condition=~Q(display_name=""), name="profile_display_name_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name


class AvailabilityWindow(models.Model):
    """A weekly window, in the profile's local time, when the person can meet."""

    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="availability")
    weekday = models.PositiveSmallIntegerField(
        choices=Weekday.choices, validators=[MinValueValidator(0), MaxValueValidator(6)]
    )
    start_time = models.TimeField()
    end_time = models.TimeField()

    class Meta:
        ordering = ["weekday", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=models.F("start_time")),
                name="availability_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6), name="availability_weekday_range"
            ),
            models.UniqueConstraint(
                fields=["profile", "weekday", "start_time"], name="availability_unique_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}-{self.end_time:%H:%M}"
