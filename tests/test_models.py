"""Models own their invariants."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from reports.figures import PublishedReportError
from reports.figures import replace_figures as save_figures
from reports.models import AnnualReport, Area, Figure, ReportingYear
from tests.factories import make_report, make_year

pytestmark = pytest.mark.django_db


def test_the_42_areas_of_england_and_wales_exist_with_their_nations():
    assert Area.objects.count() == 42
    assert Area.objects.filter(nation="wales").count() == 4
    assert Area.objects.get(slug="cambridgeshire-and-peterborough").name == (
        "Cambridgeshire and Peterborough"
    )
    assert Area.objects.get(slug="dyfed-powys").get_nation_display() == "Wales"


def test_reporting_year_runs_1_april_to_31_march_with_snapshot_at_its_end():
    year = make_year(2010)
    assert year.label == "2010-11"
    assert year.period_start == datetime.date(2010, 4, 1)
    assert year.period_end == datetime.date(2011, 3, 31)
    assert year.snapshot_date == datetime.date(2011, 3, 31)
    assert make_year(2099 - 1).label == "2098-99"


@pytest.mark.parametrize(
    ("label", "start"),
    [("2010-11", 2010), ("1999-00", 1999), ("2010-12", None), ("2010/11", None), ("x", None)],
)
def test_year_label_is_parsed_strictly(label, start):
    assert ReportingYear.start_year_from_label(label) == start


def test_one_report_per_area_and_year():
    report = make_report("kent")
    with pytest.raises(IntegrityError), transaction.atomic():
        AnnualReport.objects.create(area=report.area, year=report.year)


def test_figure_has_a_number_exactly_when_its_status_is_value():
    report = make_report("kent", status=AnnualReport.Status.DRAFT)
    cell = {"report": report, "table": "rso_breaches", "row": "rsos", "column": "number"}
    report.figures.filter(table="rso_breaches").delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        Figure.objects.create(**cell, status="value", value=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        Figure.objects.create(**cell, status="x", value=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        Figure.objects.create(**cell, status="blank", value=None)
    Figure.objects.create(**cell, status="value", value=0)
    assert report.figures.get(table="rso_breaches").value == 0


def test_figure_clean_refuses_cells_outside_the_return_and_figures_in_not_applicable_cells():
    report = make_report("kent", status=AnnualReport.Status.DRAFT)
    with pytest.raises(ValidationError, match="not a cell"):
        Figure(report=report, table="nope", row="a", column="b", status="value", value=1).clean()
    with pytest.raises(ValidationError, match="not applicable"):
        Figure(
            report=report,
            table="eligible_offenders",
            row="level_1",
            column="category_3",
            status="value",
            value=1,
        ).clean()


def test_saving_figures_marks_not_applicable_cells_z():
    report = make_report("kent", status=AnnualReport.Status.DRAFT, figures={})
    assert report.figures.count() == 7
    assert set(report.figures.values_list("status", flat=True)) == {"z"}


def test_published_report_figures_cannot_be_replaced():
    report = make_report("kent")
    with pytest.raises(PublishedReportError):
        save_figures(report, {})
    assert report.figures.count() == 57


def test_first_publication_needs_the_years_release_time():
    from reports.workflow import TransitionRefused, publish_revision

    report = make_report("kent", status=AnnualReport.Status.APPROVED)
    with pytest.raises(TransitionRefused, match="Set the release date and time for 2010-11"):
        publish_revision(report, None)
    assert not report.revisions.exists()


@pytest.mark.parametrize(
    "status",
    [
        AnnualReport.Status.DRAFT,
        AnnualReport.Status.SUBMITTED,
        AnnualReport.Status.RETURNED,
        AnnualReport.Status.APPROVED,
    ],
)
def test_only_published_reports_are_public(status):
    make_report("kent", status=status)
    published = make_report("cambridgeshire-and-peterborough")
    assert list(AnnualReport.objects.published()) == [published]


def test_report_whose_publication_time_has_not_come_is_not_public():
    make_report("kent", published_at=timezone.now() + datetime.timedelta(hours=1))
    assert not AnnualReport.objects.published().exists()
