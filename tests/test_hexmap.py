"""The national page's hex map: every area placed once, coloured by its published rate only,
with a table of the same figures beside it."""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from django.utils.text import slugify

from reports import releases, workflow
from reports.areas import AREAS
from reports.hexmap import PLACES, bands
from reports.models import AnnualReport, Area, ReportingYear, release_time_on
from reports.returns import CellStatus, CellValue
from tests.conftest import signed_in
from tests.factories import (
    RETURN_2010_11,
    ShiftedClock,
    consistent_figures,
    make_report,
    make_user,
    make_year,
    open_year,
)

assert RETURN_2010_11.rate_rule is not None
RATE = RETURN_2010_11.rate_rule.rate
Status = AnnualReport.Status


def with_rate(rate: int | CellValue, seed: int = 1) -> dict:
    """A complete set of 2010-11 figures whose rate per 100,000 is `rate`."""
    figures = consistent_figures(RETURN_2010_11, seed)
    figures[RATE] = rate if isinstance(rate, CellValue) else CellValue.of(rate)
    return figures


def hexagons(page: str) -> dict[str, tuple[str, str, str]]:
    """Each hexagon's area name → (its link, its accessible name, its colour band)."""
    found = re.findall(
        r'<a class="app-hexmap__area" href="([^"]+)" aria-label="(([^":]+): [^"]+)">\s*'
        r'<title>[^<]*</title>\s*<polygon class="app-hexmap__hex app-hexmap__band--(\w+)"',
        page,
    )
    return {name: (href, label, band) for href, label, name, band in found}


def table_twin(page: str) -> dict[str, str]:
    """Each row of the table beside the map: area name → the figure it gives."""
    table = page[page.index('id="hexmap-table"') :]
    table = table[: table.index("</table>")]
    rows = re.findall(
        r'<a class="govuk-link" href="[^"]+">([^<]+)</a></th><td[^>]*>([^<]+)</td>', table
    )
    return dict(rows)


# --- Where the areas stand --------------------------------------------------------------


def test_every_area_is_placed_exactly_once_and_no_two_share_a_cell(db):
    names = [name for name, _, _, _ in PLACES]
    assert len(names) == 42
    assert sorted(names) == sorted(name for name, _ in AREAS)
    assert {slugify(n) for n in names} == set(Area.objects.values_list("slug", flat=True))
    cells = [(column, row) for _, _, column, row in PLACES]
    assert len(set(cells)) == len(cells)
    labels = [label for _, label, _, _ in PLACES]
    assert len(set(labels)) == len(labels)


def test_the_map_reads_like_england_and_wales():
    row = {name: r for name, _, _, r in PLACES}
    across = {name: c + 0.5 * (r % 2) for name, _, c, r in PLACES}
    top, bottom = min(row.values()), max(row.values())
    assert row["Cumbria"] == row["Northumbria"] == top
    assert row["Devon and Cornwall"] == row["Kent"] == bottom
    assert across["Devon and Cornwall"] == min(a for n, a in across.items() if row[n] == bottom)
    assert across["Kent"] == max(a for n, a in across.items() if row[n] == bottom)
    wales = [name for name, nation in AREAS if nation == "wales"]
    for name in wales:  # each Welsh area is west of every English one in its row
        assert all(
            across[name] < across[o] for o in across if row[o] == row[name] and o not in wales
        )
    assert across["London"] > across["Thames Valley"] and row["London"] > row["Bedfordshire"]


# --- The colour scale -------------------------------------------------------------------


def test_five_bands_on_round_numbers_cover_every_rate():
    scale = bands([Decimal("83.4"), Decimal("199"), Decimal("140")])
    assert [b.label for b in scale] == [
        "75 to under 100",
        "100 to under 125",
        "125 to under 150",
        "150 to under 175",
        "175 to 200",
    ]


def test_a_rate_on_a_boundary_is_in_the_band_above_and_the_highest_in_the_last():
    scale = bands([Decimal(80), Decimal(100), Decimal(200)])
    assert [b.number for b in scale if b.holds(Decimal(100))] == [2]
    assert [b.number for b in scale if b.holds(Decimal(200))] == [5]


def test_close_rates_are_not_painted_as_opposite_ends_of_the_scale():
    scale = bands([Decimal(78), Decimal(83)])
    assert [b.number for b in scale if b.holds(Decimal(78)) or b.holds(Decimal(83))] == [1, 2]


# --- The page ---------------------------------------------------------------------------


@pytest.fixture
def year_2010(db):
    """Kent published at 123 per 100,000 and London at 61; the others' rates not public."""
    year = make_year(2010)
    make_report("kent", year=year, figures=with_rate(123))
    make_report("london", year=year, figures=with_rate(61, seed=2))
    make_report("essex", year=year, status=Status.APPROVED, figures=with_rate(999, seed=3))
    make_report("surrey", year=year, status=Status.SUBMITTED, figures=with_rate(998, seed=4))
    make_report("sussex", year=year, status=Status.DRAFT, figures=with_rate(997, seed=5))
    later = timezone.now() + datetime.timedelta(hours=1)
    make_report("durham", year=year, figures=with_rate(996, seed=6), published_at=later)
    return year


def test_the_map_colours_an_area_by_its_published_rate(client, year_2010):
    page = client.get("/reports/2010-11/").content.decode()
    shown = hexagons(page)
    assert len(shown) == 42
    assert shown["Kent"] == ("/reports/2010-11/kent/", "Kent: 123 per 100,000", "4")
    assert shown["London"] == ("/reports/2010-11/london/", "London: 61 per 100,000", "1")
    assert shown["Norfolk"] == ("/areas/norfolk/", "Norfolk: no figure published", "none")
    assert "No figure published</li>" in page
    assert "60 to under 80" in page and "140 to 160" in page


def test_the_map_ignores_unpublished_and_scheduled_reports_rates(client, year_2010):
    page = client.get("/reports/2010-11/").content.decode()
    shown = hexagons(page)
    for name in ("Essex", "Surrey", "Sussex", "Durham"):  # approved, submitted, draft, scheduled
        assert shown[name] == (f"/areas/{slugify(name)}/", f"{name}: no figure published", "none")
    for rate in ("999", "998", "997", "996"):
        assert f"{rate} per 100,000" not in page and f">{rate}<" not in page


def test_the_table_beside_the_map_gives_the_same_figures(client, year_2010):
    page = client.get("/reports/2010-11/").content.decode()
    table = table_twin(page)
    assert list(table) == sorted(name for name, _ in AREAS)
    for name, (_, label, _) in hexagons(page).items():
        figure = table[name]
        assert label == (
            f"{name}: {figure} per 100,000"
            if figure != "No figure published"
            else f"{name}: no figure published"
        )
    assert table["Kent"] == "123" and table["London"] == "61"


def test_an_area_that_withheld_its_rate_has_no_colour(client, db):
    year = make_year(2010)
    make_report("kent", year=year, figures=with_rate(123))
    make_report("essex", year=year, figures=with_rate(CellValue(CellStatus.WITHHELD), seed=2))
    page = client.get("/reports/2010-11/").content.decode()
    assert hexagons(page)["Essex"] == (
        "/reports/2010-11/essex/",
        "Essex: no figure published",
        "none",
    )


def test_no_map_is_drawn_when_no_published_area_gave_a_rate(client, db):
    year = make_year(2010)
    make_report("kent", year=year, figures=with_rate(CellValue(CellStatus.WITHHELD)))
    make_report("essex", year=year, status=Status.APPROVED, figures=with_rate(50, seed=2))
    page = client.get("/reports/2010-11/").content.decode()
    assert "1 of 42 areas published" in page
    assert "hexmap" not in page


def test_the_pre_release_map_leads_to_pre_release_reports_and_the_public_sees_no_map(
    client, db, monkeypatch
):
    clock = ShiftedClock()
    monkeypatch.setattr(timezone, "now", clock)
    admin = make_user("nat@justice.example.gov.uk", national=True)
    year = open_year(2010)
    releases.confirm(
        year, release_time_on(timezone.localdate() + datetime.timedelta(days=2)), admin
    )
    report = make_report("kent", year=year, status=Status.APPROVED, figures=with_rate(123))
    workflow.perform(report, "publish", admin, report.version)
    reader = make_user("min@justice.example.gov.uk")
    signed_in(admin).post(
        "/manage/releases/2010-11/pre-release/",
        {
            "name": "Min Ister",
            "email": reader.email,
            "role": "Minister of State for Prisons",
            "organisation": "Ministry of Justice",
            "justification": "Answers questions in Parliament on the day of the release.",
        },
    )
    clock.move_to(
        ReportingYear.objects.get(start_year=2010).release_at - datetime.timedelta(hours=2)
    )
    page = signed_in(reader).get("/manage/pre-release/2010-11/national/").content.decode()
    assert hexagons(page)["Kent"] == (
        "/manage/pre-release/2010-11/kent/",
        "Kent: 123 per 100,000",
        "1",
    )
    public = client.get("/reports/2010-11/").content.decode()
    assert "hexmap" not in public and "123 per 100,000" not in public
