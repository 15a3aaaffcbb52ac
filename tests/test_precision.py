"""Declared precision: a rate of 125.2 is entered, stored, checked, shown and sent as 125.2."""

import csv
import datetime
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone
from openpyxl import load_workbook

from reports.models import AnnualReport, Figure
from reports.returns import CellRef, CellValue
from reports.workflow import publish_revision
from tests.factories import consistent_figures, make_report, make_year, open_year

pytestmark = pytest.mark.django_db
RATE = CellRef("rso_rate", "per_100000", "number")
RSOS = CellRef("eligible_offenders", "total", "category_1")
RATE_PAGE = "/manage/reports/2025-26/kent/tables/rso_rate/"
#: 1,000 registered sex offenders in 798,722 people aged 10 and over: 125.2 per 100,000.
POPULATION = "798722"


@pytest.fixture
def draft(db):
    year = open_year(2025)
    figures = consistent_figures(year.template)
    figures[RSOS] = CellValue.of(1000)
    del figures[RATE]
    return make_report("kent", year=year, status=AnnualReport.Status.DRAFT, figures=figures)


def post_rate(client, draft, rate: str):
    draft.refresh_from_db()
    return client.post(
        RATE_PAGE,
        {"version": draft.version, "cell__per_100000__number": rate,
         "population_estimate": POPULATION},
    )  # fmt: skip


def test_a_rate_with_one_decimal_place_is_entered_and_stored_exactly(kent, draft):
    assert 'inputmode="decimal"' in kent.get(RATE_PAGE).content.decode()
    assert post_rate(kent, draft, "125.2").status_code == 302
    figure = Figure.objects.get(report=draft, table="rso_rate")
    figure.refresh_from_db()
    assert figure.value == Decimal("125.2")
    # The form shows it back at its precision.
    assert 'value="125.2"' in kent.get(RATE_PAGE).content.decode()


def test_the_rate_is_checked_at_its_declared_precision(kent, draft):
    html = post_rate(kent, draft, "125.3").content.decode()
    assert (
        "is 125.3 but 1,000 registered sex offenders on 31 March ÷ 798,722 population × "
        "100,000 = 125.2 (to 1 decimal place)."
    ) in html
    html = post_rate(kent, draft, "125").content.decode()
    assert "is 125.0 but" in html and "= 125.2 (to 1 decimal place)" in html
    html = post_rate(kent, draft, "125.23").content.decode()
    assert "“125.23” has more than 1 decimal place(s)" in html
    assert not Figure.objects.filter(report=draft, table="rso_rate").exists()


def test_a_whole_number_return_refuses_decimals(kent):
    year = open_year(2010)
    draft = make_report("kent", year=year, status=AnnualReport.Status.DRAFT, figures={})
    response = kent.post(
        "/manage/reports/2010-11/kent/tables/rso_rate/",
        {"version": draft.version, "cell__per_100000__number": "83.5"},
    )
    assert "“83.5” is not a whole number of 0 or more" in response.content.decode()


def test_125_2_is_shown_and_downloaded_as_125_2_everywhere(client, kent, draft):
    post_rate(kent, draft, "125.2")
    draft.refresh_from_db()
    year = draft.year
    year.release_at = timezone.now() - datetime.timedelta(minutes=1)
    year.save()
    draft.status = AnnualReport.Status.PUBLISHED
    draft.save()
    publish_revision(draft, None)
    page = client.get("/reports/2025-26/kent/").content.decode()
    assert f'data-cell="{RATE}">\n        125.2' in page
    rows = list(csv.DictReader(io.StringIO(
        client.get("/reports/2025-26/kent/figures.csv").getvalue().decode())))  # fmt: skip
    assert next(r for r in rows if r["table"] == "rso_rate")["value"] == "125.2"
    data = json.loads(client.get("/reports/2025-26/figures.json").getvalue())
    assert next(d for d in data if d["table"] == "rso_rate")["value"] == 125.2
    api = client.get("/api/v1/reports/2025-26/kent").json()
    assert next(f for f in api["figures"] if f["table"] == "rso_rate")["value"] == 125.2
    # The national rate of one area with a stated population is that area's, at 1 place.
    assert client.get("/api/v1/national/2025-26").json()["rate_per_100000"] == 125.2
    book = load_workbook(io.BytesIO(
        client.get("/reports/2025-26/figures.xlsx").getvalue()))  # fmt: skip
    sheet = book[book.sheetnames[-1]]
    cell = next(row[3] for row in sheet.iter_rows() if row[0].value == "Kent")
    assert (cell.value, cell.number_format) == (125.2, "#,##0.0")
    area = client.get("/areas/kent/").content.decode()
    assert 'data-series="rso_rate" data-year="2025-26">125.2<' in area


def test_an_imported_rate_keeps_its_decimal_place(tmp_path, db):
    make_year(2016)
    path = tmp_path / "figures.csv"
    path.write_text(
        "year,area,table,row,column,value\n2016-17,derbyshire,rso_rate,per_100000,number,125.2\n"
    )
    call_command("import_figures", str(path), stdout=io.StringIO(), verbosity=0)
    report = AnnualReport.objects.get(area__slug="derbyshire")
    assert report.cell_values()[RATE] == CellValue.of(Decimal("125.2"))
    # Written through the one write path: every not-applicable cell is there as [z].
    assert len(report.cell_values()) == 1 + len(report.template.not_applicable_cells())
