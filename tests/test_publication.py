"""Publication like official statistics: together at the release time, corrected openly."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from reports import workflow
from reports.models import AnnualReport, PublishedRevision, ReportingYear
from tests.factories import make_report, make_year, open_year

pytestmark = pytest.mark.django_db
Status = AnnualReport.Status
KENT = "/reports/2011-12/kent/"


def approved(slug, year):
    return make_report(slug, year=year, status=Status.APPROVED, foreword=f"{slug} foreword")


def test_approved_reports_go_public_together_at_the_release_time(client, national_admin):
    release = timezone.now() + datetime.timedelta(hours=2)
    year = open_year(2011, release_at=release)
    kent, essex = approved("kent", year), approved("essex", year)
    workflow.perform(kent, "publish", national_admin, kent.version)
    assert kent.revisions.get().published_at == release
    # Before the release time nothing of the year is public, published or only approved.
    assert client.get(KENT).status_code == 404
    assert client.get("/reports/2011-12/essex/").status_code == 404
    assert "kent foreword" not in client.get("/").content.decode()
    assert workflow.release_due(timezone.now()) == []
    # At the release time the timer publishes the rest; both are then public.
    later = release + datetime.timedelta(minutes=1)
    assert workflow.release_due(later) == [essex]
    # Time passes: the release time and the revisions' times are now behind us.
    past = timezone.now() - datetime.timedelta(seconds=1)
    ReportingYear.objects.filter(pk=year.pk).update(release_at=past)
    PublishedRevision.objects.update(published_at=past)
    assert client.get(KENT).status_code == 200
    assert client.get("/reports/2011-12/essex/").status_code == 200


def test_release_command_publishes_only_what_is_due(national_admin):
    due = open_year(2011, release_at=timezone.now() - datetime.timedelta(minutes=1))
    not_yet = open_year(2012, release_at=timezone.now() + datetime.timedelta(days=1))
    ready = approved("kent", due)
    waiting = approved("kent", not_yet)
    submitted = make_report("essex", year=due, status=Status.SUBMITTED)
    call_command("release_reports", verbosity=0)
    for report in (ready, waiting, submitted):
        report.refresh_from_db()
    assert (ready.status, waiting.status, submitted.status) == (
        "published",
        "approved",
        "submitted",
    )
    assert ready.revisions.get().published_by is None


def test_correction_is_published_as_a_new_revision_with_its_reason(client, national_admin, kent):
    year = open_year(2011, release_at=timezone.now() - datetime.timedelta(days=1))
    report = approved("kent", year)
    workflow.perform(report, "publish", national_admin, report.version)
    first = client.get(KENT).content.decode()
    assert "kent foreword" in first and "Revised on" not in first

    workflow.perform(report, "reopen", national_admin, report.version, "Level 1 total corrected.")
    report.refresh_from_db()
    assert report.status == Status.RETURNED
    kent.post(
        "/manage/reports/2011-12/kent/introduction/",
        {"version": report.version, "title": "", "text": "Corrected foreword"},
    )
    # While it is being corrected, the public still reads what was published.
    assert "kent foreword" in client.get(KENT).content.decode()
    assert "Corrected foreword" not in client.get(KENT).content.decode()

    report.refresh_from_db()
    kent.post("/manage/reports/2011-12/kent/check/", {"version": report.version})
    report.refresh_from_db()
    workflow.perform(report, "approve", national_admin, report.version)
    report.refresh_from_db()
    workflow.perform(report, "publish", national_admin, report.version)

    page = client.get(KENT).content.decode()
    today = timezone.localdate().strftime("%-d %B %Y")
    assert f"Revised on {today}: Level 1 total corrected." in page
    assert "Corrected foreword" in page
    old = client.get("/reports/2011-12/kent/revisions/1/").content.decode()
    assert "kent foreword" in old
    assert "This is an earlier version of the report (revision 1" in old
    assert client.get("/reports/2011-12/kent/revisions/2/").status_code == 200
    assert client.get("/reports/2011-12/kent/revisions/3/").status_code == 404


def test_published_figures_are_frozen_in_the_revision(national_admin):
    year = open_year(2011, release_at=timezone.now() - datetime.timedelta(days=1))
    report = approved("kent", year)
    workflow.perform(report, "publish", national_admin, report.version)
    revision = report.revisions.get()
    assert revision.cell_values() == report.cell_values()
    assert len(revision.signatories) == 1


def test_published_report_cannot_be_changed_in_the_admin(national_admin):
    from django.contrib.auth.models import Permission

    from tests.conftest import signed_in

    national_admin.is_staff = True
    national_admin.save()
    national_admin.user_permissions.add(
        *Permission.objects.filter(codename__endswith="annualreport")
    )
    report = make_report("kent", year=make_year(2010))
    client = signed_in(national_admin)
    response = client.post(f"/admin/reports/annualreport/{report.pk}/change/", {"foreword": "x"})
    assert response.status_code == 403
    report.refresh_from_db()
    assert report.foreword != "x"


def test_release_calendar_lists_announced_releases(client):
    open_year(2011, release_at=timezone.make_aware(datetime.datetime(2099, 7, 30, 9, 30)))
    make_year(2009)
    page = client.get("/releases/").content.decode()
    assert "MAPPA annual reports 2011-12" in page
    assert "Thursday 30 July 2099 at 09:30" in page


def test_release_calendar_says_when_nothing_is_announced(client, db):
    assert "No releases are announced at the moment." in client.get("/releases/").content.decode()


def test_a_fix_before_the_release_replaces_the_waiting_revision_and_waits(
    client, national_admin, kent
):
    release = timezone.now() + datetime.timedelta(days=10)
    year = open_year(2011, release_at=release)
    report = approved("kent", year)
    workflow.perform(report, "publish", national_admin, report.version)
    workflow.perform(report, "reopen", national_admin, report.version, "Fixed early.")
    report.refresh_from_db()
    kent.post("/manage/reports/2011-12/kent/check/", {"version": report.version})
    report.refresh_from_db()
    workflow.perform(report, "approve", national_admin, report.version)
    report.refresh_from_db()
    workflow.perform(report, "publish", national_admin, report.version)
    revision = report.revisions.get()  # the never-public first version is gone
    assert (revision.number, revision.reason, revision.published_at) == (1, "", release)
    assert client.get(KENT).status_code == 404
    assert client.get("/reports/2011-12/kent/figures.csv").status_code == 404
    assert "2011-12" not in client.get("/").content.decode()


def test_moving_the_release_moves_reports_waiting_for_it(client, national_admin):
    soon = timezone.now() + datetime.timedelta(hours=1)
    year = open_year(2011, release_at=soon)
    report = approved("kent", year)
    workflow.perform(report, "publish", national_admin, report.version)
    later = soon + datetime.timedelta(days=30)
    workflow.set_release_time(year, later)
    assert report.revisions.get().published_at == later
    with pytest.raises(workflow.TransitionRefused, match="give a new release time"):
        workflow.set_release_time(year, None)
    # Even a revision whose own time has come stays private until the year's release.
    PublishedRevision.objects.update(published_at=timezone.now() - datetime.timedelta(days=1))
    assert client.get(KENT).status_code == 404


def test_release_timer_carries_on_when_one_report_cannot_be_published(monkeypatch):
    due = open_year(2011, release_at=timezone.now() - datetime.timedelta(minutes=1))
    kent, essex = approved("kent", due), approved("essex", due)
    publish = workflow.publish_revision

    def someone_moved_kent_meanwhile(report, user, at=None):
        if report.pk == kent.pk:
            raise workflow.TransitionRefused("This report is already returned.")
        return publish(report, user, at)

    monkeypatch.setattr(workflow, "publish_revision", someone_moved_kent_meanwhile)
    assert workflow.release_due() == [essex]
    kent.refresh_from_db()
    assert kent.status == Status.APPROVED  # its move was rolled back, not half made


def test_email_failure_never_turns_a_committed_move_into_an_error(national, settings):
    settings.EMAIL_BACKEND = "tests.test_publication.FailingBackend"
    year = open_year(2011, release_at=timezone.now() - datetime.timedelta(days=1))
    report = make_report("kent", year=year, status=Status.SUBMITTED)
    response = national.post(
        "/manage/reports/2011-12/kent/actions/approve/",
        {"approve-version": report.version, "confirm": "yes"},
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == Status.APPROVED


class FailingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("the mail server is down")


def test_reopened_report_of_a_closed_year_can_be_corrected(kent, national_admin):
    year = make_year(2010)  # closed
    year.release_at = timezone.now() - datetime.timedelta(days=1)
    year.save()
    report = make_report("kent", year=year, status=Status.APPROVED)
    workflow.perform(report, "publish", national_admin, report.version)
    workflow.perform(report, "reopen", national_admin, report.version, "Corrected.")
    report.refresh_from_db()
    assert kent.get("/manage/reports/2010-11/kent/introduction/").status_code == 200
    kent.post("/manage/reports/2010-11/kent/check/", {"version": report.version})
    report.refresh_from_db()
    assert report.status == Status.SUBMITTED
