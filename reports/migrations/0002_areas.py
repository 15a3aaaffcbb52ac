"""The 42 MAPPA areas of England and Wales."""

from django.db import migrations
from django.utils.text import slugify

AREAS = [
    ("Avon and Somerset", "england"),
    ("Bedfordshire", "england"),
    ("Cambridgeshire and Peterborough", "england"),
    ("Cheshire", "england"),
    ("Cumbria", "england"),
    ("Derbyshire", "england"),
    ("Devon and Cornwall", "england"),
    ("Dorset", "england"),
    ("Durham", "england"),
    ("Dyfed Powys", "wales"),
    ("Essex", "england"),
    ("Gloucestershire", "england"),
    ("Greater Manchester", "england"),
    ("Gwent", "wales"),
    ("Hampshire", "england"),
    ("Hertfordshire", "england"),
    ("Humberside", "england"),
    ("Kent", "england"),
    ("Lancashire", "england"),
    ("Leicestershire", "england"),
    ("Lincolnshire", "england"),
    ("London", "england"),
    ("Merseyside", "england"),
    ("Norfolk", "england"),
    ("Northamptonshire", "england"),
    ("Northumbria", "england"),
    ("North Wales", "wales"),
    ("North Yorkshire", "england"),
    ("Nottinghamshire", "england"),
    ("South Wales", "wales"),
    ("South Yorkshire", "england"),
    ("Staffordshire", "england"),
    ("Suffolk", "england"),
    ("Surrey", "england"),
    ("Sussex", "england"),
    ("Teesside", "england"),
    ("Thames Valley", "england"),
    ("Warwickshire", "england"),
    ("West Mercia", "england"),
    ("West Midlands", "england"),
    ("West Yorkshire", "england"),
    ("Wiltshire", "england"),
]


def create_areas(apps, schema_editor):
    Area = apps.get_model("reports", "Area")
    for name, nation in AREAS:
        Area.objects.get_or_create(slug=slugify(name), defaults={"name": name, "nation": nation})


def remove_areas(apps, schema_editor):
    Area = apps.get_model("reports", "Area")
    Area.objects.filter(
        slug__in=[slugify(name) for name, _ in AREAS], reports__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial")]
    operations = [migrations.RunPython(create_areas, remove_areas)]
