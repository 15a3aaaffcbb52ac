"""The 42 MAPPA areas of England and Wales."""

from django.db import migrations
from django.utils.text import slugify

from reports.areas import AREAS, create_areas


def forwards(apps, schema_editor):
    create_areas(apps.get_model("reports", "Area"))


def backwards(apps, schema_editor):
    Area = apps.get_model("reports", "Area")
    Area.objects.filter(
        slug__in=[slugify(name) for name, _ in AREAS], reports__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
