"""Submitting: only complete, consistent reports (flagged figures: test_change_explanations.py)."""

import pytest

from reports.models import AnnualReport, ReportEvent
from reports.returns import CellRef
from tests.factories import make_report, make_year, open_year

pytestmark = pytest.mark.django_db
CHECK = "/manage/reports/2011-12/kent/check/"


@pytest.fixture
def complete_draft(db):
    return make_report("kent", year=open_year(2011), status=AnnualReport.Status.DRAFT)


def test_complete_report_is_submitted_and_becomes_read_only(kent, complete_draft):
    response = kent.post(CHECK, {"version": complete_draft.version})
    assert response.status_code == 302
    complete_draft.refresh_from_db()
    assert complete_draft.status == AnnualReport.Status.SUBMITTED
    event = ReportEvent.objects.get(report=complete_draft)
    assert (event.action, event.from_status, event.to_status) == ("submit", "draft", "submitted")
    assert event.user.username == "kim@kent.example.gov.uk"
    # Read-only from now on: edit pages send the coordinator back, saves change nothing.
    page = kent.get("/manage/reports/2011-12/kent/tables/rso_breaches/")
    assert page["Location"] == "/manage/reports/2011-12/kent/"
    kent.post(
        "/manage/reports/2011-12/kent/tables/rso_breaches/",
        {"version": complete_draft.version, "cell__rsos__number": "999"},
    )
    assert complete_draft.cell_values()[CellRef("rso_breaches", "rsos", "number")].value != 999
    overview = kent.get("/manage/reports/2011-12/kent/").content.decode()
    assert "The report is with reviewers: it can be changed only if they return it." in overview
    assert "Check and submit" not in overview


def test_incomplete_report_cannot_be_submitted(kent, db):
    draft = make_report(
        "kent", year=open_year(2011), status=AnnualReport.Status.DRAFT, figures={}, foreword=""
    )
    page = kent.get(CHECK).content.decode()
    assert "The report cannot be submitted until these are put right" in page
    assert (
        "Enter MAPPA-eligible offenders on 31 March: Level 1, Category 1: Registered sex offenders."
        in page
    )
    assert "Write the introduction (foreword)." in page
    kent.post(CHECK, {"version": draft.version})
    draft.refresh_from_db()
    assert draft.status == AnnualReport.Status.DRAFT


def test_report_of_a_closed_year_cannot_be_submitted_or_edited(kent, db):
    draft = make_report("kent", year=make_year(2011), status=AnnualReport.Status.DRAFT)
    kent.post(CHECK, {"version": draft.version})
    draft.refresh_from_db()
    assert draft.status == AnnualReport.Status.DRAFT
    response = kent.get("/manage/reports/2011-12/kent/introduction/", follow=True)
    assert "The 2011-12 collection is not open." in response.content.decode()


def test_admins_still_read_an_explanation_given_before_figures_were_explained_one_by_one(
    national, db
):
    make_report(
        "kent",
        year=open_year(2011),
        status=AnnualReport.Status.SUBMITTED,
        change_explanation="A new police unit started.",
    )
    page = national.get(CHECK).content.decode()
    assert "Explanation of changes given with an earlier submission" in page
    assert "A new police unit started." in page
    review = national.get("/manage/reports/2011-12/kent/review/").content.decode()
    assert "With an earlier submission, the coordinator explained" in review


def test_returned_report_can_be_edited_and_resubmitted(kent, db):
    draft = make_report("kent", year=open_year(2011), status=AnnualReport.Status.RETURNED)
    assert kent.get("/manage/reports/2011-12/kent/introduction/").status_code == 200
    kent.post(CHECK, {"version": draft.version})
    draft.refresh_from_db()
    assert draft.status == AnnualReport.Status.SUBMITTED


def test_submitting_twice_does_not_submit_twice(kent, complete_draft):
    kent.post(CHECK, {"version": complete_draft.version})
    response = kent.post(CHECK, {"version": complete_draft.version}, follow=True)
    assert "The report is with reviewers" in response.content.decode()
    assert ReportEvent.objects.filter(report=complete_draft).count() == 1
