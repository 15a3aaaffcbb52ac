"""The release calendar keeps its history; pre-release access; who to ask; the [p] marker."""

import datetime
import io
import json

import pytest
from django.core import mail
from django.utils import timezone
from openpyxl import load_workbook

from reports import releases, workflow
from reports.figures import replace_figures
from reports.models import (
    AnnualReport,
    PreReleaseView,
    PublishedRevision,
    Release,
    ReleaseEvent,
    ReportingYear,
    release_time_on,
)
from reports.returns import CellRef, CellValue
from tests.conftest import signed_in
from tests.factories import ShiftedClock, make_report, make_user, make_year, open_year

pytestmark = pytest.mark.django_db
CALENDAR = "/manage/releases/2010-11"
KENT = "/reports/2010-11/kent/"
PRE_KENT = "/manage/pre-release/2010-11/kent/"


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def in_days(days: int) -> datetime.datetime:
    """09:30 (London) `days` from today."""
    return release_time_on(timezone.localdate() + datetime.timedelta(days=days))


def release_at_of(start_year: int) -> datetime.datetime | None:
    return ReportingYear.objects.get(start_year=start_year).release_at


def date_fields(day: datetime.date, reason: str | None = None) -> dict[str, str]:
    fields = {"date-day_0": str(day.day), "date-day_1": str(day.month), "date-day_2": str(day.year)}
    if reason is not None:
        fields["date-reason"] = reason
    return fields


@pytest.fixture
def clock(monkeypatch):
    clock = ShiftedClock()
    monkeypatch.setattr(timezone, "now", clock)
    return clock


@pytest.fixture
def admin_user(db):
    return make_user("nat@justice.example.gov.uk", national=True, first_name="Nat")


@pytest.fixture
def admin(admin_user):
    return signed_in(admin_user)


# --- The calendar and its history -------------------------------------------------------------


def test_a_provisional_release_is_shown_as_its_month(admin, client):
    make_year(2010)
    next_year = timezone.localdate().year + 1
    response = admin.post(
        f"{CALENDAR}/provisional/", {"provisional-month": "1", "provisional-year": next_year}
    )
    assert response.status_code == 302
    page = client.get("/releases/").content.decode()
    assert f"January {next_year} (provisional)" in page
    assert release_at_of(2010) is None  # nothing confirmed, nothing scheduled


def test_confirming_sets_the_release_time_the_rest_of_the_service_reads(admin, admin_user):
    make_year(2010)
    day = timezone.localdate() + datetime.timedelta(days=30)
    response = admin.post(f"{CALENDAR}/date/", date_fields(day))
    assert response.status_code == 302
    assert release_at_of(2010) == release_time_on(day)
    event = ReleaseEvent.objects.get()
    assert (event.action, event.release_at, event.by) == (
        "confirmed",
        release_time_on(day),
        admin_user,
    )


def test_a_confirmed_date_in_the_past_is_refused(admin):
    make_year(2010)
    response = admin.post(f"{CALENDAR}/date/", date_fields(datetime.date(2020, 1, 30)))
    assert response.status_code == 200
    assert "The release date must be in the future" in response.content.decode()
    assert "govuk-error-summary" in response.content.decode()
    assert release_at_of(2010) is None
    assert not ReleaseEvent.objects.exists()


def test_moving_a_confirmed_release_without_a_reason_is_refused(admin, admin_user):
    year = make_year(2010)
    releases.confirm(year, in_days(30), admin_user)
    response = admin.post(
        f"{CALENDAR}/date/", date_fields(timezone.localdate() + datetime.timedelta(days=40), "")
    )
    assert response.status_code == 200
    assert "Say why the release is moving" in response.content.decode()
    assert release_at_of(2010) == in_days(30)
    assert ReleaseEvent.objects.count() == 1


def test_a_moved_release_shows_its_previous_date_and_reason_publicly(admin, admin_user, client):
    year = make_year(2010)
    releases.confirm(year, in_days(30), admin_user)
    client.get("/releases/")  # kept by the public cache: the move must replace it
    later = timezone.localdate() + datetime.timedelta(days=44)
    response = admin.post(
        f"{CALENDAR}/date/", date_fields(later, "Two areas' figures are still being checked.")
    )
    assert response.status_code == 302
    assert release_at_of(2010) == release_time_on(later)
    page = client.get("/releases/").content.decode()
    assert releases.describe_time(release_time_on(later)) in page
    previous = timezone.localtime(in_days(30))
    assert f"Previously {previous:%A} {previous.day} {previous:%B %Y} at 09:30." in page
    assert "Two areas&#x27; figures are still being checked." in page


def test_moving_a_release_moves_the_reports_waiting_for_it(admin_user):
    year = open_year(2010)
    releases.confirm(year, in_days(30), admin_user)
    report = make_report("kent", year=year, status=AnnualReport.Status.APPROVED)
    workflow.perform(report, "publish", admin_user, report.version)
    releases.move(year, in_days(37), "A week later.", admin_user)
    assert PublishedRevision.objects.get().published_at == in_days(37)


def test_a_cancelled_release_shows_its_reason(admin, admin_user, client):
    year = make_year(2010)
    releases.announce(year, timezone.localdate() + datetime.timedelta(days=60), admin_user)
    response = admin.post(f"{CALENDAR}/cancel/", {"cancel-reason": "The collection was abandoned."})
    assert response.status_code == 302
    page = client.get("/releases/").content.decode()
    assert "Cancelled" in page
    assert "The collection was abandoned." in page
    assert Release.objects.get().state == "cancelled"


def test_cancelling_without_a_reason_is_refused(admin, admin_user):
    year = make_year(2010)
    releases.confirm(year, in_days(30), admin_user)
    response = admin.post(f"{CALENDAR}/cancel/", {"cancel-reason": "  "})
    assert "Say why the release is cancelled" in response.content.decode()
    assert Release.objects.get().state == "confirmed"
    assert release_at_of(2010) == in_days(30)


def test_a_release_with_reports_waiting_cannot_be_cancelled(admin, admin_user):
    year = open_year(2010)
    releases.confirm(year, in_days(30), admin_user)
    report = make_report("kent", year=year, status=AnnualReport.Status.APPROVED)
    workflow.perform(report, "publish", admin_user, report.version)
    response = admin.post(f"{CALENDAR}/cancel/", {"cancel-reason": "Abandoned."})
    assert "published and waiting for the release" in response.content.decode()
    assert Release.objects.get().state == "confirmed"


def test_past_releases_stay_listed_with_a_link(client, admin_user, clock):
    year = open_year(2010)
    releases.confirm(year, in_days(2), admin_user)
    make_report("kent", year=year, status=AnnualReport.Status.APPROVED)
    clock.move_to(in_days(3))
    workflow.release_due()
    page = client.get("/releases/").content.decode()
    assert "Past releases" in page
    assert 'href="/reports/2010-11/"' in page


def test_other_people_cannot_change_the_calendar(client, db):
    make_year(2010)
    coordinator = signed_in(make_user("kim@kent.example.gov.uk", areas=("kent",)))
    day = timezone.localdate() + datetime.timedelta(days=30)
    assert coordinator.post(f"{CALENDAR}/date/", date_fields(day)).status_code == 404
    assert coordinator.get(f"{CALENDAR}/").status_code == 404
    assert release_at_of(2010) is None


# --- Pre-release access -----------------------------------------------------------------------


@pytest.fixture
def scheduled(admin_user):
    """Kent's 2010-11 report published to wait for a release confirmed in ten days."""
    year = open_year(2010)
    releases.confirm(year, in_days(10), admin_user)
    report = make_report("kent", year=year, status=AnnualReport.Status.APPROVED)
    workflow.perform(report, "publish", admin_user, report.version)
    return year


def name_recipient(admin, email="min@justice.example.gov.uk"):
    return admin.post(
        f"{CALENDAR}/pre-release/",
        {
            "name": "Min Ister",
            "email": email,
            "role": "Minister of State for Prisons",
            "organisation": "Ministry of Justice",
            "justification": "Answers questions in Parliament on the day of the release.",
        },
    )


def test_a_recipient_without_an_account_is_invited(
    admin, scheduled, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert name_recipient(admin).status_code == 302
    assert len(mail.outbox) == 1
    assert "read the 2010-11 MAPPA statistics in the 24 hours before" in mail.outbox[0].body


def test_a_recipient_without_a_justification_is_refused(admin, scheduled):
    response = admin.post(
        f"{CALENDAR}/pre-release/",
        {"name": "Min", "email": "min@example.gov.uk", "role": "Minister", "organisation": "MoJ"},
    )
    assert "Say why the person needs pre-release access" in response.content.decode()
    assert not scheduled.pre_release_recipients.exists()


def test_pre_release_is_readable_only_in_the_24_hours_before_the_release(
    admin, admin_user, scheduled, client, clock
):
    reader = make_user("min@justice.example.gov.uk")
    name_recipient(admin)
    release_at = scheduled.release_at
    assert signed_in(reader).get(PRE_KENT).status_code == 404  # ten days before

    clock.move_to(release_at - datetime.timedelta(hours=2))
    recipient = signed_in(reader)
    response = recipient.get(PRE_KENT)
    assert response.status_code == 200
    page = response.content.decode()
    assert f"Pre-release: not for publication until {releases.describe_time(release_at)}" in page
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    national = recipient.get("/manage/pre-release/2010-11/national/").content.decode()
    assert "Pre-release: not for publication until" in national and "Kent" in national
    assert client.get(KENT).status_code == 404
    assert client.get("/reports/2010-11/figures.csv").status_code == 200  # empty, header only
    assert "Min Ister" not in client.get("/releases/").content.decode()
    seen = [v.what for v in PreReleaseView.objects.order_by("at")]
    assert seen == ["Kent report 2010-11", "2010-11 national summary"]
    listed = signed_in(admin_user).get(f"{CALENDAR}/pre-release/").content.decode()
    assert "Kent report 2010-11" in listed and "2010-11 national summary" in listed

    clock.move_to(release_at + datetime.timedelta(minutes=1))
    assert signed_in(reader).get(PRE_KENT).status_code == 404
    assert client.get(KENT).status_code == 200
    for page in (client.get("/releases/"), client.get("/reports/2010-11/")):
        text = page.content.decode()
        assert "Min Ister, Minister of State for Prisons, Ministry of Justice" in text
        assert "min@justice.example.gov.uk" not in text


def test_pre_release_needs_a_confirmed_release(admin, admin_user, clock):
    year = open_year(2010)
    releases.announce(year, timezone.localdate() + datetime.timedelta(days=40), admin_user)
    reader = make_user("min@justice.example.gov.uk")
    name_recipient(admin)
    clock.move_to(release_time_on(timezone.localdate() + datetime.timedelta(days=40)))
    assert signed_in(reader).get("/manage/pre-release/2010-11/").status_code == 404


def test_people_not_named_see_nothing_in_the_window(admin, admin_user, scheduled, clock):
    name_recipient(admin)
    clock.move_to(scheduled.release_at - datetime.timedelta(hours=1))
    assert signed_in(admin_user).get(PRE_KENT).status_code == 404
    other = make_user("someone@example.gov.uk")
    assert signed_in(other).get(PRE_KENT).status_code == 404


# --- Who to ask -------------------------------------------------------------------------------


def test_the_statistician_is_named_on_the_year_page_and_the_cover_sheet(admin, admin_user, client):
    year = open_year(2010, release_at=timezone.now() - datetime.timedelta(days=1))
    make_report("kent", year=year)
    response = admin.post(
        f"{CALENDAR}/contact/",
        {
            "contact-statistician": "Sam Stats",
            "contact-contact_email": "mappa.stats@justice.gov.uk",
        },
    )
    assert response.status_code == 302
    page = client.get("/reports/2010-11/").content.decode()
    assert "Responsible statistician" in page and "Sam Stats" in page
    assert "mailto:mappa.stats@justice.gov.uk" in page
    book = load_workbook(io.BytesIO(body(client.get("/reports/2010-11/figures.xlsx"))))
    cover = [row[0] for row in book["Cover_sheet"].iter_rows(values_only=True)]
    assert "Responsible statistician: Sam Stats" in cover
    assert "Contact: mappa.stats@justice.gov.uk" in cover


def test_a_contact_address_that_is_not_an_email_is_refused(admin, admin_user):
    year = make_year(2010)
    releases.confirm(year, in_days(30), admin_user)
    response = admin.post(
        f"{CALENDAR}/contact/",
        {"contact-statistician": "Sam Stats", "contact-contact_email": "not an address"},
    )
    assert "Enter an email address in the correct format" in response.content.decode()
    assert Release.objects.get().statistician == ""


# --- Markers ----------------------------------------------------------------------------------

SHPOS = CellRef("restrictive_orders", "shpos", "number")  # a break in series in 2015-16


@pytest.fixture
def provisional_correction(admin_user):
    """Kent 2015-16 published, then corrected (its SHPOs) while its figures are provisional."""
    year = make_year(2015)
    year.release_at = timezone.now() - datetime.timedelta(days=2)
    year.save()
    report = make_report("kent", year=year, published_at=year.release_at)
    Release.objects.create(year=year, state="confirmed", provisional_figures=True)
    report.status = AnnualReport.Status.RETURNED  # reopened for the correction
    report.save()
    figures = report.cell_values()
    figures[SHPOS] = CellValue.of(figures[SHPOS].value + 1)
    replace_figures(report, figures)
    workflow.publish_revision(report, None, note="SHPOs recounted.")
    return report


def test_markers_combine_in_every_download(client, provisional_correction):
    lines = body(client.get("/reports/2015-16/kent/figures.csv")).decode().splitlines()
    shpos = next(line for line in lines if ",restrictive_orders,shpos,number," in line)
    assert shpos.endswith(",[p][r][b]")
    unchanged = next(line for line in lines if ",restrictive_orders,shpos_travel,number," in line)
    assert unchanged.endswith(",[p][b]")
    rows = json.loads(body(client.get("/reports/2015-16/kent/figures.json")))
    row = next(r for r in rows if (r["table"], r["row"]) == ("restrictive_orders", "shpos"))
    assert (row["provisional"], row["revised"], row["break_in_series"]) == (True, True, True)
    api = client.get("/api/v1/reports/2015-16/kent").json()["figures"]
    row = next(r for r in api if (r["table"], r["row"]) == ("restrictive_orders", "shpos"))
    assert (row["provisional"], row["revised"], row["break_in_series"]) == (True, True, True)
    book = load_workbook(io.BytesIO(body(client.get("/reports/2015-16/figures.xlsx"))))
    notes = {row[0]: row[1] for row in book["Notes"].iter_rows(min_row=3, values_only=True)}
    assert set(notes) >= {"[z]", "[x]", "[c]", "[p]", "[r]", "[b]"}
    assert notes["[p]"].startswith("Provisional")
    markers = [
        row[-1] for sheet in book.worksheets[3:] for row in sheet.iter_rows(values_only=True)
    ]
    assert any(m and m.startswith("[p]") and "[r] " in m and "[b] " in m for m in markers)


def test_figures_republished_after_they_are_final_lose_p(client, provisional_correction):
    release = Release.objects.get()
    release.provisional_figures = False
    release.save()
    workflow.publish_revision(provisional_correction, None, note="The figures are final.")
    lines = body(client.get("/reports/2015-16/kent/figures.csv")).decode().splitlines()
    shpos = next(line for line in lines if ",restrictive_orders,shpos,number," in line)
    assert shpos.endswith(",[r][b]")


def test_a_report_with_provisional_figures_says_so(client, provisional_correction):
    page = client.get("/reports/2015-16/kent/").content.decode()
    assert "These figures are provisional [p]" in page
    earlier = client.get("/reports/2015-16/kent/revisions/1/").content.decode()
    assert "These figures are provisional" not in earlier


def test_the_team_is_told_which_approved_reports_recipients_cannot_read_yet(admin, scheduled):
    make_report("essex", year=scheduled, status=AnnualReport.Status.APPROVED)
    page = admin.get(f"{CALENDAR}/pre-release/").content.decode()
    assert "the release: 1 now. 1 approved report is not published yet" in page


def test_recipients_cannot_be_named_for_a_release_not_announced(admin):
    make_year(2010)
    response = name_recipient(admin)
    assert "Announce the 2010-11 release before naming" in response.content.decode()
    assert not PreReleaseView.objects.exists() and not Release.objects.exists()


def test_a_release_cancelled_before_any_month_is_listed_last(admin_user, client):
    confirmed, cancelled = make_year(2010), make_year(2011)
    releases.confirm(confirmed, in_days(30), admin_user)
    releases.confirm(cancelled, in_days(20), admin_user)
    releases.cancel(cancelled, "Merged into the 2010-11 release.", admin_user)
    upcoming, _ = releases.calendar()
    assert [(e.year.label, e.when) for e in upcoming] == [
        ("2010-11", releases.describe_time(in_days(30))),
        ("2011-12", "Cancelled"),
    ]
    assert "Merged into the 2010-11 release." in client.get("/releases/").content.decode()


def test_a_withdrawn_recipient_loses_access_at_once_and_stays_listed(
    admin, admin_user, scheduled, client, clock
):
    reader = make_user("min@justice.example.gov.uk")
    name_recipient(admin)
    recipient = scheduled.pre_release_recipients.get()
    clock.move_to(scheduled.release_at - datetime.timedelta(hours=3))
    assert signed_in(reader).get(PRE_KENT).status_code == 200
    admin = signed_in(admin_user)
    response = admin.post(f"{CALENDAR}/pre-release/{recipient.pk}/withdraw/")
    assert response.status_code == 302
    assert signed_in(reader).get(PRE_KENT).status_code == 404
    page = admin.get(f"{CALENDAR}/pre-release/").content.decode()
    assert "Withdrawn" in page and "Kent report 2010-11" in page
    # They had access in the last 24 hours, so they are published with the release.
    clock.move_to(scheduled.release_at + datetime.timedelta(minutes=1))
    assert "Min Ister" in client.get("/releases/").content.decode()


def test_a_recipient_withdrawn_before_the_window_is_not_published(
    admin, admin_user, scheduled, client, clock
):
    name_recipient(admin)
    recipient = scheduled.pre_release_recipients.get()
    assert releases.withdraw_recipient(recipient, admin_user)
    assert not releases.withdraw_recipient(recipient, admin_user)  # once only
    clock.move_to(scheduled.release_at + datetime.timedelta(minutes=1))
    assert "Min Ister" not in client.get("/releases/").content.decode()
    assert "Min Ister" not in client.get("/reports/2010-11/").content.decode()


def test_no_one_is_named_for_pre_release_once_the_release_has_happened(
    admin_user, scheduled, client, clock
):
    clock.move_to(scheduled.release_at + datetime.timedelta(hours=1))
    response = name_recipient(signed_in(admin_user))
    assert "release has happened: pre-release access can no longer be given" in (
        response.content.decode()
    )
    assert not scheduled.pre_release_recipients.exists()
    assert "Min Ister" not in client.get("/releases/").content.decode()


def test_unticking_provisional_before_the_release_makes_the_waiting_report_final(
    admin_user, scheduled
):
    releases.set_contact(scheduled, "Stat Istician", "stats@justice.gov.uk", True, admin_user)
    assert PublishedRevision.objects.get().provisional is True
    releases.set_contact(scheduled, "Stat Istician", "stats@justice.gov.uk", False, admin_user)
    assert PublishedRevision.objects.get().provisional is False


def test_a_change_the_page_does_not_offer_is_refused_above_the_page(admin, admin_user):
    year = open_year(2010)
    releases.confirm(year, in_days(10), admin_user)
    response = admin.post(f"{CALENDAR}/provisional/", {"provisional-month": "3"}, follow=True)
    html = response.content.decode()
    assert "release is confirmed: move it, with a reason, rather than announce a month" in html
    assert "id_provisional-month" not in html  # no link to a form the page does not show
    assert ReleaseEvent.objects.filter(action="provisional").count() == 0
