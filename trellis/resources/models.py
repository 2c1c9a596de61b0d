"""A program's library of resources, and the resources mentors recommend into a mentorship.

A resource is a link (an https address), a file (stored privately, handed out by a view
that checks who asks) or a guide (Markdown text). A program's managers keep its own
resources; the built-in guides (``program`` empty, with a ``builtin_key``) ship with
Trellis and every program's library shows them, unless its managers hide one
(ProgramHiddenResource). Archived resources leave the library but stay readable where
they were recommended.

A mentor recommends a resource the program's library shows into an ongoing mentorship,
with a note; its mentee (in a group, any current member) marks it done or not done. Both
steps are written into the mentorship's history (MentorshipEvent) as well.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.core.validators import MaxLengthValidator, URLValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from trellis.core.models import TimeStampedModel
from trellis.mentorships.models import Mentorship
from trellis.programs.models import Program

MAX_TITLE_LENGTH = 200
MAX_SUMMARY_LENGTH = 500
MAX_URL_LENGTH = 500
MAX_BODY_LENGTH = 20000
MAX_NOTE_LENGTH = 2000
MAX_TAG_LENGTH = 40
MAX_TAGS = 10
MAX_FILE_NAME_LENGTH = 255
MAX_BUILTIN_KEY_LENGTH = 60

https_only = URLValidator(
    schemes=["https"], message="Give a secure address, starting with https://."
)


def resource_storage() -> Storage:
    """The private storage (never served as /media/) the resources' files live in."""
    return storages["attachments"]


class ResourceKind(models.TextChoices):
    LINK = "link", "Link"
    FILE = "file", "File"
    GUIDE = "guide", "Guide"


class Resource(TimeStampedModel):
    # Empty for a built-in guide, which every program's library shows.
    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, null=True, blank=True, related_name="resources"
    )
    kind = models.CharField(max_length=10, choices=ResourceKind.choices)
    title = models.CharField(max_length=MAX_TITLE_LENGTH)
    summary = models.TextField(
        max_length=MAX_SUMMARY_LENGTH,
        blank=True,
        validators=[MaxLengthValidator(MAX_SUMMARY_LENGTH)],
    )
    url = models.URLField("Web address", max_length=MAX_URL_LENGTH, blank=True)
    # Under resources/<program>/, a random name; the name people see is file_name.
    file = models.FileField(
        storage=resource_storage, upload_to="resources/", max_length=255, blank=True
    )
    file_name = models.CharField(max_length=MAX_FILE_NAME_LENGTH, blank=True)
    # Decided from the file's bytes (trellis.messaging.files.sniff), never the browser's.
    file_type = models.CharField(max_length=100, blank=True)
    file_size = models.PositiveBigIntegerField(null=True, blank=True)
    body = models.TextField(
        max_length=MAX_BODY_LENGTH, blank=True, validators=[MaxLengthValidator(MAX_BODY_LENGTH)]
    )
    # Which built-in guide this is (trellis.resources.builtins); empty for the programs' own.
    builtin_key = models.SlugField(max_length=MAX_BUILTIN_KEY_LENGTH, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    is_archived = models.BooleanField(default=False)

    class Meta:
        ordering = ["title", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ResourceKind.values), name="resource_kind_known"
            ),
            models.CheckConstraint(
                condition=~Q(kind=ResourceKind.LINK) | Q(url__startswith="https://"),
                name="resource_link_has_https_url",
                violation_error_message="A link needs a secure address, starting with https://.",
            ),
            models.CheckConstraint(
                condition=~Q(kind=ResourceKind.FILE) | ~Q(file=""),
                name="resource_file_has_file",
                violation_error_message="A file resource needs its file.",
            ),
            models.CheckConstraint(
                condition=~Q(kind=ResourceKind.GUIDE) | ~Q(body=""),
                name="resource_guide_has_body",
                violation_error_message="A guide needs its text.",
            ),
            models.CheckConstraint(
                condition=Q(builtin_key="") | Q(program__isnull=True),
                name="resource_builtin_has_no_program",
            ),
            models.UniqueConstraint(
                fields=["builtin_key"],
                condition=~Q(builtin_key=""),
                name="resource_one_per_builtin_key",
            ),
        ]
        indexes = [
            models.Index(fields=["program", "is_archived"], name="resource_program_archived"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk}: {self.title}"

    @property
    def is_builtin(self) -> bool:
        return self.program_id is None

    def clean(self) -> None:
        super().clean()
        # The scheme rule binds the services too (a URLField allows http by default).
        if self.url:
            https_only(self.url)


class ResourceTag(models.Model):
    """One tag of a resource: lower case, letters, digits and hyphens."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=MAX_TAG_LENGTH)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["resource", "name"],
                name="resource_tag_unique",
                violation_error_message="This tag is already on the resource.",
            ),
            models.CheckConstraint(condition=~Q(name=""), name="resource_tag_not_empty"),
        ]
        indexes = [models.Index(fields=["name"], name="resource_tag_name")]

    def __str__(self) -> str:
        return self.name


class ProgramHiddenResource(models.Model):
    """A built-in guide a program's managers took out of their library."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="hidden_in")
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["program", "resource"],
                name="program_hidden_resource_unique",
                violation_error_message="This guide is already hidden in the program.",
            ),
        ]

    def __str__(self) -> str:
        return f"Resource {self.resource_id} hidden in program {self.program_id}"


class Recommendation(models.Model):
    """A resource a mentor recommended into a mentorship, and whether it was done."""

    mentorship = models.ForeignKey(
        Mentorship, on_delete=models.CASCADE, related_name="recommendations"
    )
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="recommendations")
    recommended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The mentor's words to the mentee(s): never shown to the program's managers.
    note = models.TextField(
        max_length=MAX_NOTE_LENGTH, blank=True, validators=[MaxLengthValidator(MAX_NOTE_LENGTH)]
    )
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["mentorship", "resource"],
                name="recommendation_once_per_mentorship",
                violation_error_message="This resource is already recommended in the mentorship.",
            ),
            models.CheckConstraint(
                condition=Q(completed_at__isnull=False) | Q(completed_by__isnull=True),
                name="recommendation_open_has_no_finisher",
            ),
        ]
        indexes = [
            models.Index(fields=["mentorship", "created_at"], name="recommendation_mentorship"),
        ]

    def __str__(self) -> str:
        return f"Resource {self.resource_id} recommended in mentorship {self.mentorship_id}"

    @property
    def is_done(self) -> bool:
        return self.completed_at is not None
