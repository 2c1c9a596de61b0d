"""Resources, files and recommendations as the tests need them."""

from __future__ import annotations

import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from trellis.resources import services
from trellis.resources.models import Recommendation, Resource
from trellis.resources.selectors import mentorship_for_resources

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def pdf(name: str = "Listening checklist.pdf", content: bytes = PDF_BYTES) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def png(name: str = "map.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), "green").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def html_file(name: str = "page.html") -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, b"<html><script>alert(1)</script></html>", content_type="text/html"
    )


def manager_of(program: Any) -> Any:
    return program.managers.order_by("pk").first()


def link_in(program: Any, *, title: str = "Time zone converter", **fields: Any) -> Resource:
    fields.setdefault("url", "https://example.org/time-zones")
    fields.setdefault("summary", "See the time where your partner lives.")
    fields.setdefault("tags", "time zones, tools")
    return services.resource_create(
        program=program, by=manager_of(program), kind="link", title=title, **fields
    )


def guide_in(program: Any, *, title: str = "Our program's rhythm", **fields: Any) -> Resource:
    fields.setdefault("body", "Meet **every two weeks**.\n\n- Agenda first\n- Notes after")
    fields.setdefault("tags", ["rhythm"])
    return services.resource_create(
        program=program, by=manager_of(program), kind="guide", title=title, **fields
    )


def file_in(program: Any, *, title: str = "Listening checklist", **fields: Any) -> Resource:
    fields.setdefault("upload", pdf())
    return services.resource_create(
        program=program, by=manager_of(program), kind="file", title=title, **fields
    )


def recommend(mentorship: Any, resource: Resource, note: str = "Read this first") -> Recommendation:
    fresh, _role = mentorship_for_resources(mentorship_id=mentorship.pk, user=mentorship.mentor)
    return services.recommendation_create(
        mentorship=fresh, resource=resource, by=fresh.mentor, note=note
    )
