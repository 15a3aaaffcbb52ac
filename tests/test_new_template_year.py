"""A new return template is a new TOML file: no code changes for forms, pages, downloads, API.

The test declares a 2027-28 template in a temporary directory, a copy of 2023-24 with one table
renamed (`sro_breach_notification` becomes `sro_notification`, its series following it) and one
new single-figure table (`mapps_transfers`), and then uses the whole portal with it.
"""

import csv
import io
import json
import re
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
from django.test import override_settings
from django.utils import timezone

from reports import returns
from reports.models import AnnualReport
from reports.returns import CellRef, CellValue
from tests.factories import consistent_figures, make_report, make_year, open_year

TEMPLATES_DIR = Path(returns.__file__).resolve().parent / "templates"
SHIPPED_2023_24 = (TEMPLATES_DIR / "2023-24.toml").read_text("utf-8")

NEW_TABLE = """\
[[tables]]
key = "mapps_transfers"
title = "MAPPA offenders transferred to another area during the year"
short_name = "Transfers to another area"
columns = "number"

[[tables.groups]]
rows = [
  { key = "transferred_out", label = "Offenders transferred to another area" },
]

"""
NEW_TITLE = "MAPPA offenders transferred to another area during the year"
TRANSFERS = CellRef("mapps_transfers", "transferred_out", "number")
RENAMED = CellRef("sro_notification", "people", "number")


def changed(text: str, old: str, new: str) -> str:
    """`text` with its one `old` replaced by `new` (the test fails if `old` is not there)."""
    assert text.count(old) == 1, f"{old!r} is not in the text exactly once"
    return text.replace(old, new)


def new_template_text() -> str:
    text = changed(SHIPPED_2023_24, 'key = "2023-24"', 'key = "2027-28"')
    text = changed(text, 'first_year = "2023-24"', 'first_year = "2027-28"')
    text = changed(
        text,
        'description = "Category 4: terrorist or terrorism-risk offenders"',
        'description = "Transfers between areas"',
    )
    # Rename a table, and point its series at the renamed table.
    text = changed(text, 'key = "sro_breach_notification"', 'key = "sro_notification"')
    text = changed(
        text,
        'sro_breach_notification = "sro_breach_notification.people.number"',
        'sro_breach_notification = "sro_notification.people.number"',
    )
    # The copy's breaks in series were 2023-24's (Category 4): 2027-28 breaks none.
    text, breaks = re.subn(r"\[\[breaks\]\]\nreason = .*?\n\]\n", "", text, flags=re.S)
    assert breaks == 1
    # Add a table before the rate.
    return changed(text, '[[tables]]\nkey = "rso_rate"', NEW_TABLE + '[[tables]]\nkey = "rso_rate"')


@pytest.fixture
def new_template(tmp_path):
    """The 2027-28 template, declared in a file beside the shipped ones."""
    (tmp_path / "2027-28.toml").write_text(new_template_text(), "utf-8")
    with override_settings(RETURN_TEMPLATE_DIRS=[TEMPLATES_DIR, tmp_path]):
        assert returns.declarations().problems == []
        yield returns.get_template("2027-28")
    assert "2027-28" not in returns.all_templates()


def figures_with(template, seed: int, transfers: int, renamed: int) -> dict:
    figures = consistent_figures(template, seed)
    figures[TRANSFERS] = CellValue.of(transfers)
    figures[RENAMED] = CellValue.of(renamed)
    return figures


@pytest.fixture
def published(new_template):
    """Kent's and Essex's 2027-28 reports, public, and Kent's 2026-27 one before them."""
    make_report("kent", year=make_year(2026))
    year = make_year(2027)
    year.release_at = timezone.now() - timedelta(days=1)
    year.save()
    make_report("kent", year=year, figures=figures_with(new_template, 1, 37, 4))
    make_report("essex", year=year, figures=figures_with(new_template, 2, 5, 6))
    return year


def cell_text(page: str, ref: CellRef) -> str:
    """What a report page's statistics table shows in the cell `ref`."""
    match = re.search(rf'data-cell="{ref}">\s*([^<\s]+)', page)
    assert match, f"no cell {ref} on the page"
    return match[1]


def content(response) -> bytes:
    assert response.status_code == 200
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def html(client, url: str) -> str:
    return content(client.get(url)).decode()


def csv_rows(client, url: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(content(client.get(url)).decode())))


def figure_rows(client, url: str, fmt: str) -> list[dict]:
    """The figures of a CSV or JSON download, one dict each."""
    if fmt == "csv":
        return csv_rows(client, url)
    return json.loads(content(client.get(url)))


# --- The template ---------------------------------------------------------------------------


def test_the_new_file_declares_a_template_with_the_new_and_renamed_tables(new_template):
    keys = [t.key for t in new_template.tables]
    assert "mapps_transfers" in keys
    assert "sro_notification" in keys
    assert "sro_breach_notification" not in keys
    assert new_template.table("mapps_transfers").is_single_value
    assert list(returns.all_templates())[-2:] == ["2023-24", "2027-28"]
    series = returns.get_series("sro_breach_notification")
    assert series.cells_in(new_template) == (RENAMED,)
    assert series.cells_in(returns.get_template("2023-24")) == (
        CellRef("sro_breach_notification", "people", "number"),
    )


@pytest.mark.django_db
def test_a_new_year_takes_the_new_template_by_default(new_template):
    assert make_year(2027).return_template == "2027-28"
    assert make_year(2030).return_template == "2027-28"
    assert make_year(2026).return_template == "2023-24"


# --- A coordinator fills it in --------------------------------------------------------------

MANAGE = "/manage/reports/2027-28/kent"


@pytest.mark.django_db
def test_coordinator_starts_fills_in_and_submits_a_report_with_the_new_table(kent, new_template):
    year = open_year(2027)
    assert year.return_template == "2027-28"
    assert kent.post(f"{MANAGE}/start/")["Location"] == f"{MANAGE}/"
    report = AnnualReport.objects.get(area__slug="kent", year=year)
    assert report.template == new_template

    overview = html(kent, f"{MANAGE}/")
    assert "Transfers to another area" in overview
    assert f"{MANAGE}/tables/mapps_transfers/" in overview

    form = html(kent, f"{MANAGE}/tables/mapps_transfers/")
    assert NEW_TITLE in form
    assert 'name="cell__transferred_out__number"' in form
    response = kent.post(
        f"{MANAGE}/tables/mapps_transfers/",
        {"version": report.version, "cell__transferred_out__number": "12"},
    )
    assert response.status_code == 302
    assert report.cell_values()[TRANSFERS] == CellValue.of(12)

    # The renamed table is edited at its new address only.
    assert "cell__people__number" in html(kent, f"{MANAGE}/tables/sro_notification/")
    assert kent.get(f"{MANAGE}/tables/sro_breach_notification/").status_code == 404

    # The other tables, entered table by table through the same form.
    report.refresh_from_db()
    figures = figures_with(new_template, 3, 12, 2)
    for table in new_template.tables:
        data = {"version": report.version}
        for ref, row, column in table.cell_refs():
            if table.is_applicable(row, column):
                data[f"cell__{ref.row}__{ref.column}"] = figures[ref].text(
                    new_template.decimals(ref)
                )
        response = kent.post(f"{MANAGE}/tables/{table.key}/", data)
        assert response.status_code == 302, (table.key, response.content.decode()[:2000])
        report.refresh_from_db()
    not_applicable = {ref: returns.NOT_APPLICABLE for ref in new_template.not_applicable_cells()}
    assert report.cell_values() == figures | not_applicable

    report.foreword, report.local_narrative = "Our year.", "Our area."
    report.save()
    check = html(kent, f"{MANAGE}/check/")
    assert NEW_TITLE in check
    assert "There is a problem" not in check
    response = kent.post(f"{MANAGE}/check/", {"version": report.version})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == AnnualReport.Status.SUBMITTED


# --- Published, it is everywhere ------------------------------------------------------------


@pytest.mark.django_db
def test_the_public_report_shows_the_new_table(client, published):
    page = html(client, "/reports/2027-28/kent/")
    assert NEW_TITLE in page
    # A one-figure table reads as printed: its title beside the figure (report-fidelity.md);
    # the row's own label is the national summary's and the downloads'.
    assert f'<th scope="row" class="govuk-table__header">{NEW_TITLE}</th>' in page
    assert "Offenders transferred to another area" in html(client, "/reports/2027-28/")
    assert cell_text(page, TRANSFERS) == "37"
    assert cell_text(page, RENAMED) == "4"
    assert NEW_TITLE in html(client, "/reports/2027-28/kent/revisions/1/")


@pytest.mark.django_db
def test_the_national_summary_adds_up_the_new_table(client, published):
    page = html(client, "/reports/2027-28/")
    assert NEW_TITLE in page
    assert cell_text(page, TRANSFERS) == "42"  # Kent's 37 and Essex's 5
    assert cell_text(page, RENAMED) == "10"
    assert "2 of 42 areas" in page


@pytest.mark.django_db
def test_compare_and_area_pages_answer_for_the_new_year(client, published, new_template):
    compare = html(client, "/reports/2027-28/compare/")
    kent_row = compare[compare.index('href="/reports/2027-28/kent/"') :].split("</tr>")[0]
    category_1 = figures_with(new_template, 1, 37, 4)[
        CellRef("eligible_offenders", "total", "category_1")
    ]
    assert f">{category_1.display()}</td>" in kent_row
    assert 'href="/reports/2027-28/essex/"' in compare
    area = html(client, "/areas/kent/")
    assert 'href="/reports/2027-28/kent/"' in area
    assert 'href="/reports/2026-27/kent/"' in area
    assert "2027-28:</strong> Transfers between areas. No break in the series shown here." in area


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_the_report_downloads_hold_the_new_table(client, published, fmt):
    url = f"/reports/2027-28/kent/figures.{fmt}"
    rows = figure_rows(client, url, fmt)
    by_cell = {(r["table"], r["row"], r["column"]): r for r in rows}
    assert str(by_cell["mapps_transfers", "transferred_out", "number"]["value"]) == "37"
    assert str(by_cell["sro_notification", "people", "number"]["value"]) == "4"
    assert not any(r["table"] == "sro_breach_notification" for r in rows)
    assert {r["year"] for r in rows} == {"2027-28"}
    assert not any(r.get("marker") or r.get("break_in_series") for r in rows)


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_the_year_downloads_hold_the_new_table_for_every_area(client, published, fmt):
    url = f"/reports/2027-28/figures.{fmt}"
    rows = figure_rows(client, url, fmt)
    transfers = {r["area"]: str(r["value"]) for r in rows if r["table"] == "mapps_transfers"}
    assert transfers == {"kent": "37", "essex": "5"}


@pytest.mark.django_db
def test_the_year_spreadsheet_has_a_sheet_for_the_new_table(client, published, new_template):
    response = client.get("/reports/2027-28/figures.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(content(response)), read_only=True)
    tables = [name for name in book.sheetnames if name.startswith("Table_")]
    assert len(tables) == len(new_template.tables)
    sheets = {
        book[name]["A1"].value: list(book[name].iter_rows(values_only=True)) for name in tables
    }
    rows = next(rows for title, rows in sheets.items() if NEW_TITLE in title)
    assert rows[2:] == [
        ("Area", "Nation", "Row", "Number", "Markers"),
        ("Essex", "England", "Offenders transferred to another area", 5, None),
        ("Kent", "England", "Offenders transferred to another area", 37, None),
    ]
    contents = list(book["Contents"].iter_rows(values_only=True))
    assert ("Table_8", NEW_TITLE) in contents


@pytest.mark.django_db
def test_the_data_dictionary_lists_the_new_template_and_tables(client, published):
    page = html(client, "/data/")
    assert "The tables from 2027-28: Transfers between areas" in page
    assert "Transfers to another area (table mapps_transfers)" in page
    assert "<code>transferred_out</code>" in page
    assert "(table sro_notification)" in page
    assert "<code>sro_notification.people.number</code>" in page  # the series' cell
    assert "in this service by 2027-28" in page


@pytest.mark.django_db
def test_the_api_serves_the_new_tables_figures(client, published):
    report = client.get("/api/v1/reports/2027-28/kent")
    assert report.status_code == 200
    figures = {(f["table"], f["row"], f["column"]): f for f in report.json()["figures"]}
    assert figures["mapps_transfers", "transferred_out", "number"]["value"] == 37
    national = client.get("/api/v1/national/2027-28")
    assert national.status_code == 200
    data = national.json()
    assert data["template"] == "2027-28"
    assert sorted(data["published_areas"]) == ["essex", "kent"]
    transfers = next(f for f in data["figures"] if f["table"] == "mapps_transfers")
    assert (transfers["value"], transfers["areas"]) == (42, 2)


@pytest.mark.django_db
def test_a_series_follows_its_renamed_table(client, published):
    rows = csv_rows(client, "/data/series/sro_breach_notification.csv?area=kent")
    values = {r["year"]: r for r in rows}
    assert values["2027-28"]["value"] == "4"
    assert "2026-27" in values
    assert values["2027-28"]["marker"] == ""
