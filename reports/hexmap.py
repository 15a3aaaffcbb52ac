"""The hex map of the 42 MAPPA areas: where each area's hexagon stands, and its colour band.

Each area is one hexagon of the same size, hand-placed on a grid so that the map reads like
England and Wales (Cumbria and Northumbria at the top, Wales on the west, London and Kent in
the south-east). Rows run top to bottom; odd rows sit half a hexagon to the right. The page
draws it as server-side SVG, always beside a table of the same figures.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils.text import slugify

from .returns import CellValue

if TYPE_CHECKING:
    from .statistics import NationalSummary

#: (area, short label, column, row) of every area's hexagon.
PLACES: tuple[tuple[str, str, int, int], ...] = (
    ("Cumbria", "CUM", 3, 0),
    ("Northumbria", "NUM", 4, 0),
    ("Lancashire", "LAN", 3, 1),
    ("Durham", "DUR", 4, 1),
    ("Teesside", "TEE", 5, 1),
    ("Merseyside", "MER", 2, 2),
    ("Greater Manchester", "GM", 3, 2),
    ("West Yorkshire", "WY", 4, 2),
    ("North Yorkshire", "NY", 5, 2),
    ("North Wales", "NW", 1, 3),
    ("Cheshire", "CHE", 2, 3),
    ("Derbyshire", "DER", 3, 3),
    ("South Yorkshire", "SY", 4, 3),
    ("Humberside", "HUM", 5, 3),
    ("Dyfed Powys", "DP", 1, 4),
    ("West Mercia", "WMC", 2, 4),
    ("Staffordshire", "STA", 3, 4),
    ("Nottinghamshire", "NOT", 4, 4),
    ("Lincolnshire", "LIN", 5, 4),
    ("Norfolk", "NFK", 6, 4),
    ("South Wales", "SW", 0, 5),
    ("Gwent", "GWE", 1, 5),
    ("West Midlands", "WMD", 2, 5),
    ("Warwickshire", "WAR", 3, 5),
    ("Leicestershire", "LEI", 4, 5),
    ("Cambridgeshire and Peterborough", "CAM", 5, 5),
    ("Suffolk", "SFK", 6, 5),
    ("Gloucestershire", "GLO", 2, 6),
    ("Thames Valley", "TV", 3, 6),
    ("Northamptonshire", "NTH", 4, 6),
    ("Bedfordshire", "BED", 5, 6),
    ("Essex", "ESX", 6, 6),
    ("Avon and Somerset", "AS", 1, 7),
    ("Wiltshire", "WIL", 2, 7),
    ("Hertfordshire", "HER", 4, 7),
    ("London", "LON", 5, 7),
    ("Devon and Cornwall", "DC", 1, 8),
    ("Dorset", "DOR", 2, 8),
    ("Hampshire", "HAM", 3, 8),
    ("Surrey", "SUR", 4, 8),
    ("Sussex", "SSX", 5, 8),
    ("Kent", "KEN", 6, 8),
)

# How far across each hexagon's centre stands, in hexagon widths from the leftmost one's.
_ACROSS = {name: column + 0.5 * (row % 2) for name, _, column, row in PLACES}
_LEFT = min(_ACROSS.values())

#: How many colour bands the map uses (styled app-hexmap__band--1 … --5, lightest first).
BANDS = 5
#: The hexagon's radius (centre to corner) in SVG units; the page scales the whole drawing.
RADIUS = 40
MARGIN = 4
_WIDTH = math.sqrt(3) * RADIUS  # pointy-top: flat sides left and right


@dataclass(frozen=True)
class Band:
    """One colour band of the scale: rates from `low` up to (not including) `high`."""

    number: int
    low: Decimal
    high: Decimal
    #: The top band includes its upper bound.
    last: bool = False

    @property
    def label(self) -> str:
        upper = "to" if self.last else "to under"
        return f"{self.low:,f} {upper} {self.high:,f}"

    def holds(self, value: Decimal) -> bool:
        return self.low <= value < self.high or (self.last and value == self.high)


@dataclass(frozen=True)
class Hexagon:
    name: str
    slug: str
    abbreviation: str
    x: float
    y: float
    href: str
    #: The rate as the report prints it, or None if the area published no figure.
    rate: str | None
    band: Band | None

    @property
    def points(self) -> str:
        """The corners of the hexagon, for an SVG polygon."""
        corners = (
            (self.x + RADIUS * math.cos(a), self.y + RADIUS * math.sin(a))
            for a in (math.radians(30 + 60 * n) for n in range(6))
        )
        return " ".join(f"{cx:.1f},{cy:.1f}" for cx, cy in corners)

    @property
    def label(self) -> str:
        """The hexagon's accessible name: "Kent: 123 per 100,000"."""
        return (
            f"{self.name}: {self.rate} per 100,000"
            if self.rate
            else f"{self.name}: no figure published"
        )


@dataclass(frozen=True)
class HexMap:
    hexagons: list[Hexagon]
    bands: list[Band]
    width: int
    height: int

    @property
    def has_gaps(self) -> bool:
        """Whether any area is drawn as having no published figure (the legend says so)."""
        return any(h.band is None for h in self.hexagons)

    @property
    def by_name(self) -> list[Hexagon]:
        """The areas in alphabetical order, for the table beside the map."""
        return sorted(self.hexagons, key=lambda h: h.name)


def bands(values: list[Decimal]) -> list[Band]:
    """Five equal bands on round numbers (1, 2, 2.5 or 5 × 10ⁿ wide) that cover every value.

    They start at the lowest value rounded down to the band width, so that a spread of rates
    from 80 to 200 uses all five colours rather than the top three; but a band is never
    narrower than a tenth of the highest rate, so that two close rates (78 and 83) are not
    painted as opposite ends of the scale.
    """
    lowest, highest = min(values), max(values)
    least = max(highest / 10, Decimal(1))
    exponent = math.floor(math.log10(least))
    while True:
        for multiple in ("1", "2", "2.5", "5"):
            width = Decimal(multiple).scaleb(exponent)
            if width < least:
                continue
            start = (lowest / width).to_integral_value(rounding=ROUND_FLOOR) * width
            if start + BANDS * width >= highest:
                return [
                    Band(n + 1, start + n * width, start + (n + 1) * width, last=n == BANDS - 1)
                    for n in range(BANDS)
                ]
        exponent += 1


def hex_map(
    rates: Mapping[str, CellValue], decimals: int, link: Callable[[str, bool], str]
) -> HexMap | None:
    """Every area's hexagon, coloured by its rate in `rates` (area slug → the rate cell of its
    current public revision); None if no area gave a rate, so that no empty map is drawn.

    `link(slug, published)` is where an area's hexagon leads: its report for the year if it
    published one, else its area page.
    """
    numbers = [v.value for v in rates.values() if v.value is not None]
    if not numbers:
        return None
    scale = bands(numbers)
    hexagons = []
    for name, abbreviation, _, row in PLACES:
        slug = slugify(name)
        value = rates.get(slug)
        number = value.value if value is not None else None
        hexagons.append(
            Hexagon(
                name=name,
                slug=slug,
                abbreviation=abbreviation,
                x=MARGIN + _WIDTH * (_ACROSS[name] - _LEFT + 0.5),
                y=MARGIN + RADIUS + row * 1.5 * RADIUS,
                href=link(slug, value is not None),
                rate=CellValue.of(number).display(decimals) if number is not None else None,
                band=next(b for b in scale if b.holds(number)) if number is not None else None,
            )
        )
    columns = max(_ACROSS.values()) - _LEFT + 1
    rows = max(r for _, _, _, r in PLACES)
    return HexMap(
        hexagons=hexagons,
        bands=scale,
        width=math.ceil(2 * MARGIN + columns * _WIDTH),
        height=math.ceil(2 * MARGIN + 2 * RADIUS + rows * 1.5 * RADIUS),
    )


def national_map(summary: NationalSummary, report: str = "reports:report") -> HexMap | None:
    """The year's hex map of the areas' published rates; None if its template has no rate
    or no area gave one. Published areas link to their report (the view named `report`, which
    pre-release pages change to theirs), the others to their area page."""
    rule = summary.year.template.rate_rule
    if rule is None:
        return None
    year = summary.year.label

    def link(slug: str, published: bool) -> str:
        if published:
            return reverse(report, kwargs={"year": year, "area": slug})
        return reverse("reports:area", kwargs={"area": slug})

    return hex_map(summary.area_rates, summary.year.template.decimals(rule.rate), link)
