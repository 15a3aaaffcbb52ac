"""Statuses that say what happens next: scheduled releases, the submission panel, copied text,
confirming approval and publication, and the review page showing the report to be published."""

import datetime
import zoneinfo

import pytest
from django.utils import timezone

from reports import workflow
from reports.models import AnnualReport
from reports.returns import CellRef
from tests.factories import make_report, make_user, open_year

pytestmark = pytest.mark.django_db
Status = AnnualReport.Status
REPORT = "/manage/reports/2026-27/kent"
LONDON = zoneinfo.ZoneInfo("Europe/London")
RELEASE = datetime.datetime(2027, 1, 20, 9, 30, tzinfo=LONDON)
SCHEDULED = "Approved, scheduled for release on 20 January 2027 at 09:30"


@pytest.fixture
def year(settings):
    settings.TIME_ZONE = "Europe/London"
    return open_year(2026, release_at=RELEASE)


@pytest.fixture
def before_release(monkeypatch):
    """It is 10 January 2027: the release is ten days away."""
    now = datetime.datetime(2027, 1, 10, 12, 0, tzinfo=LONDON)
    monkeypatch.setattr(timezone, "now", lambda: now)
    return now


def published_waiting_for_release(year, national_admin):
    report = make_report("kent", year=year, status=Status.APPROVED)
    workflow.perform(report, "publish", national_admin, report.version)
    report.refresh_from_db()
    return report


def test_a_published_report_waiting_for_its_release_never_says_published(
    year, before_release, national, national_admin, kent
):
    published_waiting_for_release(year, national_admin)
    pages = {
        "dashboard": national.get("/manage/").content.decode(),
        "task list": kent.get(f"{REPORT}/").content.decode(),
        "tracker": national.get("/manage/tracker/2026-27/").content.decode(),
        "review": national.get(f"{REPORT}/review/").content.decode(),
        "coordinator's dashboard": kent.get("/manage/").content.decode(),
        "check": kent.get(f"{REPORT}/check/").content.decode(),
    }
    for name, page in pages.items():
        assert SCHEDULED in page, name
        # Neither as a status tag nor as a timeline heading.
        assert ">Published</strong>" not in page, name
        assert ">Published</h3>" not in page, name
    history = kent.get(f"{REPORT}/history/").content.decode()
    assert SCHEDULED in history


def test_an_approved_report_says_when_it_goes_public(year, before_release, national):
    make_report("kent", year=year, status=Status.APPROVED)
    page = national.get(f"{REPORT}/review/").content.decode()
    assert SCHEDULED in page


def test_after_the_release_the_report_reads_published(year, national, national_admin):
    report = published_waiting_for_release(year, national_admin)
    after = RELEASE + datetime.timedelta(minutes=1)
    assert report.status_summary(now=after).label == "Published"
    assert report.status_summary(now=RELEASE - datetime.timedelta(minutes=1)).label == SCHEDULED


def test_an_approved_report_without_a_release_time_waits_for_one(national):
    year = open_year(2026)
    report = make_report("kent", year=year, status=Status.APPROVED)
    assert report.status_summary().label == "Approved, waiting for a release date"


def test_publishing_says_when_the_report_goes_public(year, before_release, national):
    report = make_report("kent", year=year, status=Status.APPROVED)
    response = national.post(
        f"{REPORT}/actions/publish/",
        {"publish-version": report.version, "confirm": "yes"},
        follow=True,
    )
    assert f"The Kent report for 2026-27 is a{SCHEDULED[1:]}." in response.content.decode()


# --- Submitting: a confirmation panel with what happens next ---------------------------------


def test_submitting_shows_a_confirmation_panel_with_what_happens_next(year, kent):
    report = make_report("kent", year=year, status=Status.DRAFT)
    response = kent.post(f"{REPORT}/check/", {"version": report.version}, follow=True)
    page = response.content.decode()
    assert response.redirect_chain == [(f"{REPORT}/submitted/", 302)]
    assert '<h1 class="govuk-panel__title">Report submitted</h1>' in page
    assert "What happens next" in page
    assert "published with the other areas' reports on 20 January 2027 at 09:30" in page


def test_the_confirmation_page_of_a_report_not_submitted_leads_to_its_task_list(year, kent):
    make_report("kent", year=year, status=Status.DRAFT)
    response = kent.get(f"{REPORT}/submitted/")
    assert response["Location"] == f"{REPORT}/"


# --- Copied text is checked before it is submitted --------------------------------------------


@pytest.fixture
def started_from_last_year(year, kent):
    make_report("kent", year=open_year(2025), status=Status.PUBLISHED)
    kent.post(f"{REPORT}/start/", {"copy_previous": "yes"})
    return AnnualReport.objects.get(year=year)


def test_copied_text_reads_check_before_submitting_until_opened_and_saved(
    started_from_last_year, kent
):
    report = started_from_last_year
    tasks = {t["section"].slug: t["status"] for t in kent.get(f"{REPORT}/").context["tasks"]}
    assert tasks["introduction"] == "Check before submitting"
    assert tasks["local-page"] == "Check before submitting"
    assert tasks["signatories"] == "Check before submitting"
    page = kent.get(f"{REPORT}/introduction/").content.decode()
    assert "This text was copied from last year's report" in page
    # Saved unchanged (as a browser sends it, with \r\n): checked, and no change recorded.
    records = report.history.count()
    kent.post(
        f"{REPORT}/introduction/",
        {
            "version": report.version,
            "title": report.foreword_title,
            "text": report.foreword.replace("\n", "\r\n"),
        },
    )
    tasks = {t["section"].slug: t["status"] for t in kent.get(f"{REPORT}/").context["tasks"]}
    assert tasks["introduction"] == "Completed"
    assert tasks["local-page"] == "Check before submitting"
    report.refresh_from_db()
    assert report.history.count() == records
    assert report.version == started_from_last_year.version


def test_a_report_started_blank_has_nothing_to_check(year, kent):
    make_report("kent", year=open_year(2025), status=Status.PUBLISHED)
    kent.post(f"{REPORT}/start/", {"copy_previous": "no"})
    assert AnnualReport.objects.get(year=year).copied_sections == []


# --- Approving and publishing ask for confirmation ---------------------------------------------


@pytest.mark.parametrize(
    ("action", "status", "question"),
    [
        ("approve", Status.SUBMITTED, "Are you sure you want to approve this report?"),
        ("publish", Status.APPROVED, "Are you sure you want to publish this report?"),
    ],
)
def test_approve_and_publish_ask_for_confirmation_first(
    year, before_release, national, action, status, question
):
    report = make_report("kent", year=year, status=status)
    response = national.post(f"{REPORT}/actions/{action}/", {f"{action}-version": report.version})
    page = response.content.decode()
    assert response.status_code == 200
    assert question in page
    assert "20 January 2027 at 09:30" in page
    assert f'name="{action}-version" value="{report.version}"' in page
    assert '<input type="hidden" name="confirm" value="yes">' in page
    report.refresh_from_db()
    assert report.status == status
    response = national.post(
        f"{REPORT}/actions/{action}/", {f"{action}-version": report.version, "confirm": "yes"}
    )
    report.refresh_from_db()
    assert report.status == workflow.TRANSITIONS[action].target


def test_a_confirmation_of_an_out_of_date_page_changes_nothing(year, national, kent):
    report = make_report("kent", year=year, status=Status.SUBMITTED)
    stale = report.version
    workflow.perform(report, "return", make_user("n2@x.gov.uk", national=True), stale, "Fix")
    response = national.post(
        f"{REPORT}/actions/approve/", {"approve-version": stale, "confirm": "yes"}
    )
    assert response.status_code == 200
    report.refresh_from_db()
    assert report.status == Status.RETURNED


# --- The review page: the report as it will be published, beside the changes -------------------


def test_the_review_shows_the_report_as_it_will_be_published(year, national):
    make_report(
        "kent", year=year, status=Status.SUBMITTED, foreword_title="A safer Kent",
        local_narrative="Our local page.",
    )  # fmt: skip
    page = national.get(f"{REPORT}/review/").content.decode()
    assert "The report as it will be published" in page
    assert '<h3 class="govuk-heading-m">A safer Kent</h3>' in page
    assert 'id="what-is-mappa"' in page and 'id="table-eligible_offenders"' in page
    assert "Our local page." in page
    assert "This is the report's first submission" in page


def test_the_review_shows_text_and_figures_changed_since_the_previous_submission(
    year, kent, national, national_admin
):
    report = make_report(
        "kent", year=year, status=Status.DRAFT, foreword="Kept paragraph.\n\nOld paragraph.",
    )  # fmt: skip
    kent.post(f"{REPORT}/check/", {"version": report.version})
    report.refresh_from_db()
    workflow.perform(report, "return", national_admin, report.version, "Fix")
    report.refresh_from_db()
    kent.post(
        f"{REPORT}/introduction/",
        {"version": report.version, "title": "", "text": "Kept paragraph.\r\n\r\nNew paragraph."},
    )
    report.refresh_from_db()
    ref = CellRef("rso_breaches", "rsos", "number")
    old = report.cell_values()[ref].value
    kent.post(
        f"{REPORT}/tables/rso_breaches/",
        {"version": report.version, "cell__rsos__number": str(old + 5)},
    )
    report.refresh_from_db()
    kent.post(f"{REPORT}/check/", {"version": report.version})
    page = national.get(f"{REPORT}/review/").content.decode()
    assert "Introduction changed" in page
    assert '<del><span class="govuk-visually-hidden">Removed: </span>Old paragraph.</del>' in page
    assert '<ins><span class="govuk-visually-hidden">Added: </span>New paragraph.</ins>' in page
    assert "Kept paragraph.</del>" not in page
    assert f'<td class="govuk-table__cell govuk-table__cell--numeric">{old + 5}</td>' in page


def test_the_coordinators_email_says_scheduled_not_published(
    year, before_release, kent_coordinator, national_admin, django_capture_on_commit_callbacks
):
    from django.core import mail

    report = make_report("kent", year=year, status=Status.APPROVED)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.perform(report, "publish", national_admin, report.version)
    [message] = mail.outbox
    assert message.subject == "Scheduled for release: the Kent MAPPA report for 2026-27"
    assert message.body.startswith(
        "The Kent MAPPA report for 2026-27 is approved, scheduled for release on "
        "20 January 2027 at 09:30."
    )
    assert "published" not in message.body.lower()
