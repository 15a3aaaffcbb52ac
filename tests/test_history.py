"""Every change to a report's figures, text and signatories is recorded and shown."""

import pytest

from reports.models import AnnualReport
from tests.factories import make_report, open_year

pytestmark = pytest.mark.django_db


def test_history_shows_who_changed_what_from_what_to_what(kent, national):
    draft = make_report("kent", year=open_year(2011), status=AnnualReport.Status.DRAFT, figures={})
    kent.post(
        "/manage/reports/2011-12/kent/tables/rso_breaches/",
        {"version": draft.version, "cell__rsos__number": "21"},
    )
    kent.post(
        "/manage/reports/2011-12/kent/tables/rso_breaches/",
        {"version": draft.version + 1, "cell__rsos__number": "22"},
    )
    kent.post(
        "/manage/reports/2011-12/kent/introduction/",
        {"version": draft.version + 2, "title": "Kent MAPPA", "text": "New words."},
    )
    history = national.get("/manage/reports/2011-12/kent/history/").content.decode()
    rows = [
        "RSOs cautioned or convicted for breach of notification requirements: "
        "RSOs cautioned or convicted",
        "Introduction heading",
    ]
    for row in rows:
        assert row in history
    assert history.count("Kim Lee") >= 3
    assert '<td class="govuk-table__cell">21</td>' in history
    assert '<td class="govuk-table__cell">22</td>' in history
    assert "New words." in history


def test_history_records_signatory_changes_and_submission(kent):
    draft = make_report("kent", year=open_year(2011), status=AnnualReport.Status.DRAFT)
    kent.post("/manage/reports/2011-12/kent/check/", {"version": draft.version})
    history = kent.get("/manage/reports/2011-12/kent/history/").content.decode()
    assert "Status (submit)" in history
    assert "Signatory" in history
