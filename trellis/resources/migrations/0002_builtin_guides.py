"""Store the built-in guides on distance mentoring (trellis/resources/builtins.py)."""

from django.db import migrations

from trellis.resources.builtins import BUILTIN_GUIDES


def create_guides(apps, schema_editor):
    Resource = apps.get_model("resources", "Resource")
    ResourceTag = apps.get_model("resources", "ResourceTag")
    for guide in BUILTIN_GUIDES:
        if Resource.objects.filter(builtin_key=guide["key"]).exists():
            continue
        resource = Resource.objects.create(
            program=None,
            kind="guide",
            builtin_key=guide["key"],
            title=guide["title"],
            summary=guide["summary"],
            body=guide["body"],
        )
        ResourceTag.objects.bulk_create(
            ResourceTag(resource=resource, name=name) for name in guide["tags"]
        )


def remove_guides(apps, schema_editor):
    apps.get_model("resources", "Resource").objects.exclude(builtin_key="").delete()


class Migration(migrations.Migration):
    dependencies = [("resources", "0001_initial")]

    operations = [migrations.RunPython(create_guides, remove_guides)]
