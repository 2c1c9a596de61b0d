from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from django.db import models

ModelT = TypeVar("ModelT", bound=models.Model)


def model_update(
    *, instance: ModelT, fields: Iterable[str], data: dict[str, Any]
) -> tuple[ModelT, bool]:
    """Set the given fields from data, validate and save only what changed.

    Returns the instance and whether anything changed.
    """
    changed: list[str] = []
    for field in fields:
        if field not in data:
            continue
        if getattr(instance, field) != data[field]:
            setattr(instance, field, data[field])
            changed.append(field)
    if not changed:
        return instance, False
    instance.full_clean()
    update_fields = list(changed)
    if any(f.name == "updated_at" for f in instance._meta.get_fields()):
        update_fields.append("updated_at")
    instance.save(update_fields=update_fields)
    return instance, True
