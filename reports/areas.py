"""The 42 MAPPA areas of England and Wales and their nations."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.utils.text import slugify

if TYPE_CHECKING:
    from .models import Area

#: What an area's slug may be: anything else names no area, and never reaches the database.
SLUG = re.compile(r"[a-z0-9-]{1,100}")

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


def create_areas(area_model: type[Area]) -> int:
    """Create any of the 42 areas that are missing; return how many were created.

    Takes the model so that the data migration can pass its historical model (which has the
    same fields and manager).
    """
    created = 0
    for name, nation in AREAS:
        _, was_created = area_model.objects.get_or_create(
            slug=slugify(name), defaults={"name": name, "nation": nation}
        )
        created += was_created
    return created
