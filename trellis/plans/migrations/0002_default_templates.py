"""Store the two built-in connection plans (trellis/plans/builtins.py)."""

from django.db import migrations

from trellis.plans.builtins import BUILTINS


def create_builtins(apps, schema_editor):
    PlanTemplate = apps.get_model("plans", "PlanTemplate")
    PlanStep = apps.get_model("plans", "PlanStep")
    for kind, builtin in BUILTINS.items():
        if PlanTemplate.objects.filter(program__isnull=True, kind=kind).exists():
            continue
        template = PlanTemplate.objects.create(
            program=None, kind=kind, name=builtin["name"], description=builtin["description"]
        )
        PlanStep.objects.bulk_create(
            PlanStep(
                template=template,
                day=step["day"],
                kind=step["kind"],
                title=step["title"],
                body=step["body"],
                url=step.get("url", ""),
                position=position,
            )
            for position, step in enumerate(builtin["steps"])
        )


def remove_builtins(apps, schema_editor):
    apps.get_model("plans", "PlanTemplate").objects.filter(program__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("plans", "0001_initial")]

    operations = [migrations.RunPython(create_builtins, remove_builtins)]
