"""Past publications: figures published before the portal, loaded with their source."""

import csv
import datetime
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import timezone

from reports.models import AnnualReport, Figure, ReportEvent
from reports.returns import CellRef
from tests.factories import make_report, make_year
from tests.test_import_export import staff  # noqa: F401  (the national team in the admin)

pytestmark = pytest.mark.django_db
HEADER = "year,area,table,row,column,value,source\n"
SOURCE = "https://www.example.co.uk/news/sex-offenders-in-the-county"
RSOS = CellRef("eligible_offenders", "total", "category_1")
RATE = CellRef("rso_rate", "per_100000", "number")


def released(start: int):
    """A year whose release time has passed."""
    year = make_year(start)
    year.release_at = timezone.now() - datetime.timedelta(days=30)
    year.save()
    return year


def load(tmp_path, text: str) -> str:
    path = tmp_path / "past.csv"
    path.write_text(text, encoding="utf-8")
    out = io.StringIO()
    call_command("load_past_publications", str(path), stdout=out, verbosity=0)
    return out.getvalue()


def test_a_past_publication_is_published_at_once_with_the_rest_not_available(tmp_path, client):
    released(2019)
    load(
        tmp_path,
        HEADER
        + f"2019-20,cumbria,eligible_offenders,total,category_1,594,{SOURCE}\n"
        + f"2019-20,cumbria,rso_rate,per_100000,number,132,{SOURCE}\n",
    )
    report = AnnualReport.objects.get(area__slug="cumbria")
    assert report.is_past_publication and report.status == AnnualReport.Status.PUBLISHED
    values = report.latest_public_revision().cell_values()
    assert values[RSOS].value == 594
    assert values[RATE].value == 132
    # Every other cell of the template is held, [x] where applicable and [z] where not.
    assert len(values) == len(list(report.template.cells()))
    assert {v.status for ref, v in values.items() if ref not in (RSOS, RATE)} == {"x", "z"}
    assert ReportEvent.objects.get(report=report).action == "past_publication"
    html = client.get("/reports/2019-20/cumbria/").content.decode()
    assert "Past publication." in html
    assert SOURCE in html
    assert "What is MAPPA?" not in html  # statistics only: there is no foreword to show
    assert "132.0" in html  # the 2016-17 template's rate carries one decimal place
    home = client.get("/").content.decode()
    assert "Cumbria MAPPA annual report 2019-20</a> (past publication)" in home
    rows = list(csv.DictReader(io.StringIO(client.get("/reports/2019-20/cumbria/figures.csv")
                                           .getvalue().decode())))  # fmt: skip
    assert len(rows) == len(values)


def test_the_same_figure_from_two_sources_keeps_both(tmp_path):
    released(2018)
    other = "https://www.example.com/another-paper"
    load(
        tmp_path,
        HEADER
        + f"2018-19,lancashire,rso_rate,per_100000,number,159,{SOURCE}\n"
        + f"2018-19,lancashire,rso_rate,per_100000,number,159,{other}\n",
    )
    assert AnnualReport.objects.get(area__slug="lancashire").source_note == f"{SOURCE}\n{other}"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (f"2019-20,cumbria,rso_rate,per_100000,number,160,{SOURCE}\n",
         "Line 3: rso_rate.per_100000.number for Cumbria 2019-20 is already given on line 2."),
        ("2019-20,cumbria,rso_breaches,rsos,number,21,\n",
         "Line 3: say where the figure was published (source)."),
        (f"2019-20,cumbria,rso_breaches,rsos,number,21.5,{SOURCE}\n",
         "Line 3: “21.5” is not a whole number of 0 or more."),
    ],
)  # fmt: skip
def test_bad_lines_load_nothing(tmp_path, line, message):
    released(2019)
    with pytest.raises(CommandError) as refused:
        load(tmp_path, HEADER + f"2019-20,cumbria,rso_rate,per_100000,number,132,{SOURCE}\n" + line)
    assert message in str(refused.value)
    assert not AnnualReport.objects.exists()


def test_the_given_cells_meet_the_same_rules(tmp_path):
    released(2010)
    text = HEADER + "".join(
        f"2010-11,derbyshire,eligible_offenders,total,{column},{value},{SOURCE}\n"
        for column, value in (("category_1", 749), ("category_2", 200), ("category_3", 10),
                              ("total", 1036))
    )  # fmt: skip
    with pytest.raises(CommandError, match=r"Line 5: .*total is 1,036 but .* = 959"):
        load(tmp_path, text)
    assert not Figure.objects.exists()


def test_not_for_an_area_with_a_report_or_a_year_not_yet_released(tmp_path):
    year = released(2010)
    make_report("kent", year=year, status=AnnualReport.Status.DRAFT)
    make_year(2025)  # no release time yet
    with pytest.raises(CommandError) as refused:
        load(
            tmp_path,
            HEADER
            + f"2010-11,kent,rso_breaches,rsos,number,3,{SOURCE}\n"
            + f"2025-26,essex,rso_breaches,rsos,number,3,{SOURCE}\n",
        )
    message = str(refused.value)
    assert "Line 2: Kent already has a 2010-11 report (draft)" in message
    assert "Line 3: 2025-26 has not been released" in message
    assert AnnualReport.objects.count() == 1


def test_national_team_loads_past_publications_in_the_admin(staff):  # noqa: F811
    released(2020)
    text = HEADER + f"2020-21,west-yorkshire,eligible_offenders,total,category_1,3000,{SOURCE}\n"
    preview = staff.post(
        "/admin/reports/figure/import/",
        {
            "resource": "1",  # past publications
            "format": "0",
            "import_file": SimpleUploadedFile("past.csv", text.encode(), "text/csv"),
        },
    )
    html = preview.content.decode()
    assert "Confirm import" in html
    assert not AnnualReport.objects.exists()  # the preview writes nothing
    form = {
        name: value
        for name, value in re.findall(r'name="(\w+)" value="([^"]*)"', html)
        if name != "csrfmiddlewaretoken"
    }
    assert staff.post("/admin/reports/figure/process_import/", form).status_code == 302
    report = AnnualReport.objects.get(area__slug="west-yorkshire")
    assert report.status == AnnualReport.Status.PUBLISHED and report.source_note == SOURCE
    assert report.revisions.get().published_by.username == "nat@justice.example.gov.uk"


def test_the_demo_shows_real_series_across_the_template_change(client, full_demo):
    html = client.get("/areas/west-yorkshire/").content.decode()
    for year, figure in (("2018-19", "2,867"), ("2019-20", "2,941"), ("2023-24", "3,451")):
        assert re.search(
            rf'data-series="category_1_on_31_march" data-year="{year}">{figure}<', html
        ), year
    # The rate gained a decimal place with the 2016-17 template, and is shown with it.
    assert 'data-series="rso_rate" data-year="2013-14">110<' in html
    assert 'data-series="rso_rate" data-year="2019-20">145.0<' in html
    national = client.get("/reports/2019-20/").content.decode()
    assert "of 42 areas" in national
