from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django_countries.fields import CountryField

from trellis.core.models import TimeStampedModel
from trellis.core.time import validate_time_zone
from trellis.profiles.languages import language_name

DEFAULT_TIME_ZONE = "UTC"


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
    time_zone = models.CharField(
        max_length=64, default=DEFAULT_TIME_ZONE, validators=[validate_time_zone]
    )
    # False until the person saves a zone: the edit page then lets the browser suggest one.
    has_chosen_time_zone = models.BooleanField(default=False)
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
            models.CheckConstraint(
                condition=Q(contact_hours_start__isnull=True, contact_hours_end__isnull=True)
                | Q(contact_hours_start__isnull=False, contact_hours_end__isnull=False),
                name="profile_contact_hours_both_or_neither",
                violation_error_message="Give both a start and an end for contact hours.",
            ),
            models.CheckConstraint(
                condition=Q(contact_hours_start__isnull=True)
                | Q(contact_hours_end__gt=F("contact_hours_start")),
                name="profile_contact_hours_end_after_start",
                violation_error_message="Contact hours must end after they start.",
            ),
            models.CheckConstraint(
                condition=Q(quiet_hours_start__isnull=True, quiet_hours_end__isnull=True)
                | Q(quiet_hours_start__isnull=False, quiet_hours_end__isnull=False),
                name="profile_quiet_hours_both_or_neither",
                violation_error_message="Give both a start and an end for quiet hours.",
            ),
            # Quiet hours may run past midnight (22:00 to 07:00), but not be empty.
            models.CheckConstraint(
                condition=Q(quiet_hours_start__isnull=True)
                | ~Q(quiet_hours_end=F("quiet_hours_start")),
                name="profile_quiet_hours_not_empty",
                violation_error_message="Quiet hours must end at a different time.",
            ),
            models.CheckConstraint(
                condition=Q(manager__isnull=True) | ~Q(manager=F("user")),
                name="profile_manager_not_self",
                violation_error_message="You cannot be your own line manager.",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        for prefix, label in (("contact_hours", "Contact hours"), ("quiet_hours", "Quiet hours")):
            start = getattr(self, f"{prefix}_start")
            end = getattr(self, f"{prefix}_end")
            if start is not None and end is None:
                errors[f"{prefix}_end"] = "Give an end time too, or clear the start time."
            elif start is None and end is not None:
                errors[f"{prefix}_start"] = "Give a start time too, or clear the end time."
            elif start is not None and end is not None:
                if prefix == "contact_hours" and end <= start:
                    errors[f"{prefix}_end"] = f"{label} must end after they start."
                elif end == start:
                    errors[f"{prefix}_end"] = f"{label} must end at a different time."
        if self.manager_id is not None and self.manager_id == self.user_id:
            errors["manager"] = "You cannot be your own line manager."
        if errors:
            raise ValidationError(errors)

    @property
    def language_names(self) -> list[str]:
        return [language_name(code) for code in self.languages]

    @property
    def communication_mode_labels(self) -> list[str]:
        labels = dict(CommunicationMode.choices)
        return [str(labels.get(mode, mode)) for mode in self.communication_modes]


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
