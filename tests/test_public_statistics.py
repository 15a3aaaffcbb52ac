"""The public statistics: national summary, comparisons, areas over time and downloads."""

import csv
import datetime
import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from reports.models import AnnualReport
from reports.returns import CellRef, CellValue
from tests.factories import RETURN_2010_11, consistent_figures, make_report, make_year
from tests.seed_statistics import seed_figures
from tests.test_public_pages import read_tables

pytestmark = pytest.mark.django_db
Status = AnnualReport.Status
SECRET = 987_654  # a figure only unpublished reports hold


def body(response) -> str:
    if response.streaming:
        return response.getvalue().decode()
    return response.content.decode()


def test_national_summary_adds_up_the_published_areas_cell_by_cell(client, demo):
    html = client.get("/reports/2010-11/").content.decode()
    assert "2 of 42 areas published." in html
    tables = read_tables(html)
    kent, cambs = seed_figures("kent"), seed_figures("cambridgeshire-and-peterborough")
    # Every table but the rate is the cell-by-cell sum ("-" where not applicable).
    for national, a, b in list(zip(tables, kent, cambs, strict=True))[:5]:
        expected = [
            "-" if x == "-" else f"{int(x.replace(',', '')) + int(y.replace(',', '')):,}"
            for x, y in zip(a, b, strict=True)
        ]
        assert national["cells"] == expected
        # Each figure says how many areas it adds up: both published areas gave every one.
        assert set(national["notes"]) == {"2 of 42 areas"}
    # The combined rate is summed offenders over summed population, not a mean of 83 and 78.
    kent_population = 1239 * 100_000 / 83
    cambs_population = 545 * 100_000 / 78
    combined = round((1239 + 545) * 100_000 / (kent_population + cambs_population))
    assert tables[5]["cells"] == [str(combined)]
    assert combined == 81 != round((83 + 78) / 2)
    assert "the population implied by its published rate" in html


def test_national_rate_uses_stated_populations(client, db):
    year = make_year(2010)
    for slug, rsos, population in (("kent", 1000, 1_000_000), ("essex", 300, 1_000_000)):
        values = consistent_figures(RETURN_2010_11)
        values[CellRef("eligible_offenders", "total", "category_1")] = CellValue.of(rsos)
        values[CellRef("rso_rate", "per_100000", "number")] = CellValue.of(rsos // 10)
        make_report(slug, year=year, figures=values, population_estimate=population)
    html = client.get("/reports/2010-11/").content.decode()
    assert read_tables(html)[5]["cells"] == ["65"]  # 1,300 per 2,000,000 = 65 per 100,000
    assert "implied" not in html


def test_national_sum_counts_only_areas_with_a_figure_and_says_how_many(client, db):
    year = make_year(2010)
    breaches = CellRef("rso_breaches", "rsos", "number")
    orders = CellRef("restrictive_orders", "nos", "number")
    withheld = consistent_figures(RETURN_2010_11)
    withheld[breaches] = CellValue("c")
    withheld[orders] = CellValue("x")
    make_report("kent", year=year, figures=withheld)
    essex = consistent_figures(RETURN_2010_11, seed=3)
    essex[breaches] = CellValue.of(17)
    essex[orders] = CellValue("x")
    make_report("essex", year=year, figures=essex)
    tables = read_tables(client.get("/reports/2010-11/").content.decode())
    # Kent withheld its figure: the sum is Essex's alone, and says so.
    assert tables[2]["cells"] == ["17"]
    assert tables[2]["notes"] == ["1 of 42 areas"]
    # No area gave the number of notification orders: not available nationally.
    assert tables[3]["cells"][1] == "[x]"
    api = client.get("/api/v1/national/2010-11").json()
    figure = next(f for f in api["figures"] if f["table"] == "rso_breaches")
    assert (figure["value"], figure["areas"]) == (17, 1)


def test_national_summary_of_a_year_with_nothing_published(client, db):
    make_year(2012)
    html = client.get("/reports/2012-13/").content.decode()
    assert "0 of 42 areas published." in html
    assert "No area has published its 2012-13 report yet." in html
    assert client.get("/reports/2031-32/").status_code == 404


def test_query_counts_do_not_grow_with_data(client, db):
    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
            body(response)
        return len(captured)

    make_report("kent", year=make_year(2010))
    small = {
        u: queries(u) for u in ("/reports/2010-11/", "/reports/2010-11/compare/", "/areas/kent/")
    }
    for start in (2008, 2009, 2010):
        for slug in ("essex", "london", "dorset", "gwent"):
            make_report(slug, year=make_year(start))
        if start != 2010:
            make_report("kent", year=make_year(start))
    large = {u: queries(u) for u in small}
    assert large == small


def test_compare_areas_sorts_by_any_column(client, demo):
    url = "/reports/2010-11/compare/?sort=rso_rate&order="
    html = client.get(url + "descending").content.decode()
    assert html.index("Kent") < html.index("Cambridgeshire and Peterborough")
    assert 'aria-sort="descending"' in html
    html = client.get(url + "ascending").content.decode()
    assert html.index("Cambridgeshire and Peterborough") < html.index(">Kent<")
    # Level 2/3 share on 31 March: Kent (156 + 1) / 1,691.
    assert ">9.3<" in html
    assert client.get("/reports/2010-11/compare/?sort=<script>").status_code == 200


def test_area_page_has_a_chart_and_a_table_of_the_same_figures(client, db):
    for start, rsos in ((2009, 1100), (2010, 1239)):
        values = consistent_figures(RETURN_2010_11)
        values[CellRef("eligible_offenders", "total", "category_1")] = CellValue.of(rsos)
        make_report("kent", year=make_year(start), figures=values)
    html = client.get("/areas/kent/").content.decode()
    # One chart per headline series of series.toml.
    assert html.count('<svg class="app-chart"') == 4
    assert 'role="img"' in html
    assert ">1,100<" in html and ">1,239<" in html
    assert 'href="/reports/2009-10/kent/"' in html
    assert client.get("/areas/atlantis/").status_code == 404
    assert "has not published a report yet" in client.get("/areas/essex/").content.decode()


def test_year_csv_holds_exactly_the_published_figures(client, demo):
    rows = list(csv.DictReader(io.StringIO(body(client.get("/reports/2010-11/figures.csv")))))
    assert len(rows) == 2 * 57
    assert [r["area"] for r in rows[:57]] == ["cambridgeshire-and-peterborough"] * 57
    published = {}
    for slug in ("kent", "cambridgeshire-and-peterborough"):
        report = AnnualReport.objects.get(area__slug=slug)
        for ref, value in report.latest_public_revision().cell_values().items():
            published[(slug, ref.table, ref.row, ref.column)] = value.shorthand
    assert {(r["area"], r["table"], r["row"], r["column"]): r["value"] for r in rows} == published
    assert not any(
        r["value"] in ("", "0") and r["row"] == "level_1" and r["column"] == "category_3"
        for r in rows
    )


def test_json_downloads_carry_numbers_and_codes(client, demo):
    data = json.loads(body(client.get("/reports/2010-11/kent/figures.json")))
    assert len(data) == 57
    first = data[0]
    assert first == {
        "year": "2010-11",
        "area": "kent",
        "table": "eligible_offenders",
        "row": "level_1",
        "column": "category_1",
        "value": 1185,
        "status": "value",
        "provisional": False,
        "revised": False,
        "break_in_series": False,
    }
    not_applicable = next(d for d in data if d["column"] == "category_3" and d["row"] == "level_1")
    assert (not_applicable["value"], not_applicable["status"]) == (None, "[z]")
    everything = json.loads(body(client.get("/data/all-years.json")))
    assert len(everything) == 114


def test_spreadsheet_follows_the_analysis_function_layout(client, demo):
    response = client.get("/reports/2010-11/figures.xlsx")
    book = load_workbook(io.BytesIO(response.getvalue()))
    assert book.sheetnames == [
        "Cover_sheet", "Contents", "Notes",
        "Table_1", "Table_2", "Table_3", "Table_4", "Table_5", "Table_6",
    ]  # fmt: skip
    for sheet in book.worksheets:
        assert not sheet.merged_cells.ranges
    table = book["Table_1"]
    assert table["A1"].value == "Table 1: MAPPA-eligible offenders on 31 March 2011, by area"
    header = [c.value for c in table[3]]
    assert header == ["Area", "Nation", "Row", "Category 1: Registered sex offenders",
                      "Category 2: Violent offenders", "Category 3: Other dangerous offenders",
                      "Total", "Markers"]  # fmt: skip
    kent_level_1 = next(
        r for r in table.iter_rows(values_only=True) if r[:3] == ("Kent", "England", "Level 1")
    )
    assert kent_level_1[3:] == (1185, 349, "[z]", 1534, None)


def test_data_page_describes_every_column_and_code(client, demo):
    html = client.get("/data/").content.decode()
    for text in (
        "year",
        "area",
        "marker",
        "[z]",
        "[x]",
        "[c]",
        "[r]",
        "eligible_offenders",
        "sopo_total",
    ):
        assert text in html
    assert 'href="/reports/2010-11/figures.xlsx"' in html


@pytest.mark.parametrize(
    "status", [Status.DRAFT, Status.SUBMITTED, Status.RETURNED, Status.APPROVED]
)
def test_unpublished_figures_leak_nowhere(client, demo, status):
    """With unpublished reports of every status present, no public page or download shows them."""
    values = consistent_figures(RETURN_2010_11)
    values[CellRef("restrictive_orders", "sopos", "number")] = CellValue.of(SECRET)
    make_report(
        "essex", year=make_year(2010), status=status, figures=values, foreword="SECRET TEXT"
    )
    future = timezone.now() + datetime.timedelta(days=1)
    year_ahead = make_year(2011)
    year_ahead.release_at = future
    year_ahead.save()
    make_report("london", year=year_ahead, figures=values, published_at=future)
    urls = [
        "/", "/reports/2010-11/", "/reports/2010-11/compare/", "/areas/", "/areas/essex/",
        "/areas/london/", "/reports/2010-11/figures.csv", "/reports/2010-11/figures.json",
        "/reports/2010-11/figures.xlsx", "/data/", "/data/all-years.csv", "/data/all-years.json",
        "/reports/2011-12/", "/reports/2011-12/figures.csv", "/releases/",
    ]  # fmt: skip
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        content = response.getvalue() if response.streaming else response.content
        assert str(SECRET).encode() not in content, url
        assert f"{SECRET:,}".encode() not in content, url
        assert b"SECRET TEXT" not in content, url
    for url in ("/reports/2010-11/essex/", "/reports/2010-11/essex/figures.csv",
                "/reports/2011-12/london/", "/reports/2011-12/london/figures.json"):  # fmt: skip
        assert client.get(url).status_code == 404, url
    assert "1 of 42" not in client.get("/reports/2011-12/").content.decode()


@pytest.mark.parametrize(
    "url",
    ["/", "/reports/2010-11/kent/", "/reports/2010-11/", "/reports/2010-11/figures.csv", "/data/"],
)
def test_unchanged_public_data_gets_304(client, demo, url, monkeypatch):
    # Last-Modified is sent once its second has passed (tests/test_public_cache.py).
    later = timezone.now() + datetime.timedelta(seconds=2)
    monkeypatch.setattr(timezone, "now", lambda: later)
    response = client.get(url)
    assert response.status_code == 200
    etag, modified = response["ETag"], response["Last-Modified"]
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
