"""The national team's dashboard as one filterable table; text saved unchanged records nothing;
the reopen hint reads in full."""

import datetime

import pytest
from django.utils import timezone

from reports.models import AnnualReport
from tests.factories import make_report, open_year

pytestmark = pytest.mark.django_db
Status = AnnualReport.Status


@pytest.fixture
def years():
    old = open_year(2010)
    old.is_open = False
    old.save()
    make_report("kent", year=old, status=Status.PUBLISHED)
    new = open_year(2011, release_at=timezone.now() + datetime.timedelta(days=60))
    make_report("kent", year=new, status=Status.SUBMITTED)
    make_report("essex", year=new, status=Status.RETURNED)
    return old, new


def rows(response):
    return [
        (r["area"].slug, r["year"].label, r["status"].key) for r in response.context["table_rows"]
    ]


def test_it_is_one_table_of_every_area_for_the_newest_year(years, national):
    response = national.get("/manage/")
    page = response.content.decode()
    assert page.count('<table class="govuk-table"') == 1
    found = rows(response)
    assert len(found) == 42
    assert ("kent", "2011-12", "submitted") in found
    assert ("essex", "2011-12", "returned") in found
    assert ("durham", "2011-12", "not_started") in found
    assert "42 reports for 2011-12" in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?year=2011-12&status=returned", [("essex", "2011-12", "returned")]),
        (
            "?year=&status=&area=kent",
            [("kent", "2011-12", "submitted"), ("kent", "2010-11", "published")],
        ),
        ("?year=2010-11&status=published&area=", [("kent", "2010-11", "published")]),
        ("?year=2011-12&status=approved", []),
    ],
)
def test_it_filters_by_year_status_and_area(years, national, query, expected):
    response = national.get(f"/manage/{query}")
    assert rows(response) == expected
    if not expected:
        assert "No reports match these filters." in response.content.decode()


def test_a_filter_it_does_not_know_is_refused_with_a_message_not_an_error(years, national):
    response = national.get("/manage/?year=1999-00&status=lost")
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert len(rows(response)) == 42


def test_coordinators_keep_their_own_areas_view(years, kent):
    response = kent.get("/manage/")
    assert "table_rows" not in response.context
    assert [row["area"].slug for row in response.context["rows"]] == ["kent"]


@pytest.mark.parametrize(
    ("url", "field"), [("introduction", "foreword"), ("local-page", "local_narrative")]
)
def test_saving_text_unchanged_records_no_change(kent, url, field):
    year = open_year(2010)
    report = make_report("kent", year=year, status=Status.DRAFT, **{field: "One.\n\nTwo."})
    records, version = report.history.count(), report.version
    title = "foreword_title" if field == "foreword" else "local_page_title"
    kent.post(
        f"/manage/reports/2010-11/kent/{url}/",
        {"version": version, "title": getattr(report, title), "text": "One.\r\n\r\nTwo.\r\n"},
    )
    report.refresh_from_db()
    assert (report.history.count(), report.version) == (records, version)
    history = kent.get("/manage/reports/2010-11/kent/history/").content.decode()
    assert history.count("One.") == 1  # the text as first written, and no change since
    # A real change is saved, with \n line endings.
    kent.post(
        f"/manage/reports/2010-11/kent/{url}/",
        {"version": version, "title": "", "text": "One.\r\n\r\nThree."},
    )
    report.refresh_from_db()
    assert getattr(report, field) == "One.\n\nThree."
    assert report.version == version + 1


def test_the_reopen_hint_renders_its_placeholders(national):
    year = open_year(2010, release_at=timezone.now() - datetime.timedelta(days=1))
    make_report("kent", year=year, status=Status.PUBLISHED)
    page = national.get("/manage/reports/2010-11/kent/review/").content.decode()
    today = timezone.localdate()
    assert f"as “Revised on {today.day} {today:%B %Y}: ” followed by this reason." in page
    assert "Revised on : " not in page and "{today}" not in page
