"""Starting the year's report, from scratch or from last year's text."""

import pytest

from reports.models import AnnualReport
from tests.factories import make_report, make_year, open_year

pytestmark = pytest.mark.django_db
START = "/manage/reports/2011-12/kent/start/"


def test_coordinator_starts_a_blank_report(kent):
    open_year(2011)
    response = kent.post(START)
    assert response["Location"] == "/manage/reports/2011-12/kent/"
    report = AnnualReport.objects.get(area__slug="kent", year__start_year=2011)
    assert report.status == AnnualReport.Status.DRAFT
    assert not report.figures.filter(status="value").exists()


def test_coordinator_copies_last_years_text_and_signatories_but_not_figures(kent):
    make_report("kent", year=make_year(2010), foreword="Last year's foreword.")
    open_year(2011)
    assert "Start from last year" in kent.get(START).content.decode()
    kent.post(START, {"copy_previous": "yes"})
    report = AnnualReport.objects.get(year__start_year=2011)
    assert report.foreword == "Last year's foreword."
    assert report.signatories.count() == 1
    assert not report.figures.filter(status="value").exists()


def test_coordinator_may_decline_to_copy(kent):
    make_report("kent", year=make_year(2010), foreword="Last year's foreword.")
    open_year(2011)
    kent.post(START, {"copy_previous": "no"})
    report = AnnualReport.objects.get(year__start_year=2011)
    assert report.foreword == ""
    assert not report.signatories.exists()


def test_choice_is_required_when_there_is_a_previous_report(kent):
    make_report("kent", year=make_year(2010))
    open_year(2011)
    response = kent.post(START, {})
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert not AnnualReport.objects.filter(year__start_year=2011).exists()


def test_closed_year_cannot_be_started(kent):
    make_year(2011)
    response = kent.post(START, follow=True)
    assert "The 2011-12 collection is not open." in response.content.decode()
    assert not AnnualReport.objects.exists()


def test_starting_twice_leads_to_the_existing_report(kent):
    open_year(2011)
    kent.post(START)
    assert kent.post(START)["Location"] == "/manage/reports/2011-12/kent/"
    assert AnnualReport.objects.count() == 1
