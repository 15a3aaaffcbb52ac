"""Series follow a figure across return templates; a break in series is marked [b]."""

import csv
import io

import pytest
from django.test import Client

from reports import workflow
from reports.models import AnnualReport
from reports.returns import CellRef, CellValue, get_series
from tests.factories import consistent_figures, make_report, make_year

pytestmark = pytest.mark.django_db
SOPOS = CellRef("restrictive_orders", "sopos", "number")
SHPOS = CellRef("restrictive_orders", "shpos", "number")
RSOS = CellRef("eligible_offenders", "total", "category_1")


def csv_rows(url: str) -> list[dict]:
    response = Client().get(url)
    return list(csv.DictReader(io.StringIO(response.getvalue().decode())))


def test_figures_whose_definition_changed_are_marked_b_in_the_first_year_of_the_change(db):
    make_report("kent", year=make_year(2015))  # the first year of SHPOs
    make_report("kent", year=make_year(2016))
    rows = {(r["table"], r["row"]): r["marker"] for r in csv_rows("/reports/2015-16/figures.csv")}
    assert rows[("restrictive_orders", "shpos")] == "[b]"
    assert rows[("returns_to_custody", "shpo_total")] == "[b]"
    assert rows[("restrictive_orders", "nos")] == ""  # notification orders did not change
    assert rows[("eligible_offenders", "level_1")] == ""
    later = {(r["table"], r["row"]): r["marker"] for r in csv_rows("/reports/2016-17/figures.csv")}
    assert set(later.values()) == {""}


def test_a_series_follows_sopos_into_shpos_with_the_break_where_an_area_crosses_it(db):
    early = consistent_figures(make_year(2010).template)
    early[SOPOS] = CellValue.of(12)
    make_report("kent", year=make_year(2010), figures=early)
    later = consistent_figures(make_year(2017).template)
    later[SHPOS], later[CellRef("restrictive_orders", "shpos_travel", "number")] = (
        CellValue.of(20),
        CellValue.of(3),
    )
    make_report("kent", year=make_year(2017), figures=later)  # Kent skipped 2015-16
    rows = csv_rows("/data/series/sopos_or_shpos_imposed.csv?area=kent")
    assert [(r["year"], r["value"], r["marker"]) for r in rows] == [
        ("2010-11", "12", ""),
        ("2017-18", "23", "[b]"),
    ]
    rsos = csv_rows("/data/series/category_1_on_31_march.csv?area=kent")
    assert [r["marker"] for r in rsos] == ["", ""]
    api = Client().get("/api/v1/series/sopos_or_shpos_imposed?area=kent").json()
    assert api["points"][1]["break_in_series"] is True
    assert "Sexual Harm Prevention Orders" in api["points"][1]["break_reason"]
    area = Client().get("/areas/kent/").content.decode()
    assert "2017-18 is not comparable with the years before it" in area
    assert 'class="app-chart__point app-chart__point--break"' in area
    assert Client().get("/data/series/nothing.csv").status_code == 404
    assert Client().get("/api/v1/series/nothing").status_code == 404


def test_a_series_declares_its_cells_in_every_template():
    rsos = get_series("category_1_on_31_march")
    assert set(rsos.cells) == {"2010-11", "2012-13", "2015-16", "2016-17", "2023-24"}
    assert not rsos.breaks
    assert set(get_series("category_4_on_31_march").cells) == {"2023-24"}


def test_figures_across_a_break_are_not_compared_for_change_warnings(db):
    before = consistent_figures(make_year(2014).template)
    make_report("kent", year=make_year(2014), figures=before)
    year = make_year(2015)
    now = consistent_figures(year.template)
    # Both far above the year before (rules between cells do not matter for the warnings).
    now[RSOS] = CellValue.of(before[RSOS].value * 3 + 50)
    sopo_total = before[CellRef("returns_to_custody", "sopo_total", "total")]
    now[CellRef("returns_to_custody", "shpo_total", "total")] = CellValue.of(
        sopo_total.value * 3 + 50
    )
    draft = make_report("kent", year=year, figures={}, status=AnnualReport.Status.DRAFT)
    from reports.figures import replace_figures

    replace_figures(draft, now)
    warnings = [w.message for w in workflow.readiness(draft).warnings]
    # Registered sex offenders are the same figure in both returns: a big move is flagged.
    assert any(
        w.startswith("MAPPA-eligible offenders on 31 March: Total, Category 1") for w in warnings
    )
    # SOPO returns became SOPO/SHPO returns: a different figure, so not compared.
    assert not any("Breach of SOPO/SHPO" in w for w in warnings)


def test_a_series_page_shows_every_area_and_year_with_each_years_sum(client, full_demo):
    html = client.get("/data/series/category_1_on_31_march/").content.decode()
    assert "<caption" in html and "by area and year" in html
    assert ">2,941<" in html.replace("\n", "")  # West Yorkshire 2019-20
    assert "of 42 areas" in html
    assert client.get("/data/series/level_2_3_share/").status_code == 404  # a share: no sums
    assert client.get("/data/series/atlantis/").status_code == 404


def test_b_marks_the_cells_whose_definition_changed_not_their_neighbours(db):
    make_report("kent", year=make_year(2023))  # Category 4 joins the totals
    rows = {(r["table"], r["row"], r["column"]): r["marker"]
            for r in csv_rows("/reports/2023-24/figures.csv")}  # fmt: skip
    assert rows[("eligible_offenders", "level_1", "total")] == "[b]"
    assert rows[("returns_to_custody", "licence_total", "total")] == "[b]"
    assert rows[("eligible_offenders", "level_1", "category_1")] == ""
    # Returns for breach of an order are Category 1 only: Category 4 did not change them.
    assert rows[("returns_to_custody", "shpo_total", "total")] == ""


def test_an_areas_first_published_year_is_never_a_break(client, db):
    make_report("kent", year=make_year(2015))  # the first year of SHPOs, Kent's first report
    make_report("kent", year=make_year(2016))
    area = client.get("/areas/kent/").content.decode()
    assert "is not comparable with the years before it" not in area
    assert "app-chart__point--break" not in area


def test_rates_are_never_added_up(client, full_demo):
    html = client.get("/data/series/rso_rate/").content.decode()
    assert "Sum of the areas that gave it" not in html
    counts = client.get("/data/series/category_1_on_31_march/").content.decode()
    assert "Sum of the areas that gave it" in counts


def test_a_share_of_a_withheld_figure_is_withheld():
    from reports.returns import CellStatus, share

    withheld = CellValue(CellStatus.WITHHELD)
    assert share(withheld, CellValue.of(10)).status == CellStatus.WITHHELD
    assert share(CellValue.of(1), CellValue.of(0)).status == CellStatus.NOT_AVAILABLE
    assert str(share(CellValue.of(1), CellValue.of(3)).value) == "33.3"


@pytest.mark.parametrize("area", ["%00", "KENT", "x" * 200, "kent/../essex"])
def test_a_series_for_an_unknown_area_is_not_found(client, db, area):
    assert client.get(f"/data/series/rso_rate.csv?area={area}").status_code == 404
    assert client.get(f"/api/v1/series/rso_rate?area={area}").status_code == 404
