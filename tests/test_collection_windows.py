"""Collection windows: when reports can be started and changed, extensions, and the refusals.

2025-26 is due by 30 April 2026, closes to new reports after 31 May and to edits after
30 June. The clock is frozen at London times; in summer London is an hour ahead of UTC, so
midnight starting 1 June in London is still 31 May in UTC: the tests at midnight show which.
"""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django.utils.html import escape

from reports import windows, workflow
from reports.models import AnnualReport, Extension, ReportingYear
from reports.windows import LONDON
from tests.conftest import signed_in
from tests.factories import get_area, make_report, make_user, open_year

pytestmark = pytest.mark.django_db
Status = AnnualReport.Status

KENT = "/manage/reports/2025-26/kent/"
START = KENT + "start/"
INTRODUCTION = KENT + "introduction/"
CHECK = KENT + "check/"
COLLECTION = "/manage/collection/2025-26/"
GRANT = COLLECTION + "extensions/"

STARTS_CLOSED = "The 2025-26 collection closed to new reports on 31 May 2026"
EDITS_CLOSED = "Edits to 2025-26 reports closed on 30 June 2026"


class Clock:
    """The service's clock, set by the test to a London date and time."""

    def __init__(self) -> None:
        self.now = timezone.now()

    def __call__(self) -> datetime.datetime:
        return self.now

    def set(self, when: str) -> None:
        """`when` as "2026-05-31 23:59:59", in London."""
        self.now = datetime.datetime.fromisoformat(when).replace(tzinfo=LONDON)


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(timezone, "now", clock)
    return clock


@pytest.fixture
def year(db) -> ReportingYear:
    return open_year(
        2025,
        deadline=datetime.date(2026, 4, 30),
        starts_close_on=datetime.date(2026, 5, 31),
        edits_close_on=datetime.date(2026, 6, 30),
    )


@pytest.fixture
def national(national_admin):
    return signed_in(national_admin)


@pytest.fixture
def draft(year):
    return make_report("kent", year=year, status=Status.DRAFT)


def extend(area: str, until: datetime.date, by=None) -> Extension:
    return windows.grant_extension(
        ReportingYear.objects.get(start_year=2025), get_area(area), until, "Staff illness.", by
    )


def edit_introduction(client, report: AnnualReport, text: str):
    report.refresh_from_db()
    return client.post(
        INTRODUCTION, {"version": report.version, "title": "Foreword", "text": text}, follow=True
    )


def page(response) -> str:
    return response.content.decode()


# --- Starting ------------------------------------------------------------------------------


def test_an_area_can_start_its_report_until_midnight_in_london_on_the_day_starts_close(
    kent, year, clock
):
    clock.set("2026-05-31 23:59:59")
    kent.post(START)
    assert AnnualReport.objects.filter(area__slug="kent", year=year).exists()


def test_after_midnight_in_london_starting_is_refused_saying_when_it_closed(kent, year, clock):
    clock.set("2026-06-01 00:00:00")
    assert timezone.now().astimezone(datetime.UTC).date() == datetime.date(2026, 5, 31)
    response = kent.post(START, follow=True)
    assert f"{STARTS_CLOSED}." in page(response)
    assert not AnnualReport.objects.exists()
    dashboard = page(kent.get("/manage/"))
    assert 'href="/manage/reports/2025-26/kent/start/"' not in dashboard
    assert f"{STARTS_CLOSED}." in dashboard


def test_without_a_starts_close_date_starting_closes_with_edits(kent, year, clock):
    year.starts_close_on = None
    year.save()
    clock.set("2026-06-30 23:50")  # sessions end after 30 idle minutes
    kent.post(START)
    assert AnnualReport.objects.count() == 1
    AnnualReport.objects.all().delete()
    clock.set("2026-07-01 00:00")
    response = kent.post(START, follow=True)
    assert "The 2025-26 collection closed to new reports on 30 June 2026." in page(response)
    assert not AnnualReport.objects.exists()


def test_a_year_not_open_takes_no_new_reports_and_no_changes(kent, year, clock, draft):
    clock.set("2026-04-01 09:00")
    year.is_open = False
    year.save()
    assert "The 2025-26 collection is not open." in page(kent.post(START, follow=True))
    response = edit_introduction(kent, draft, "Changed.")
    assert "The 2025-26 collection is not open." in page(response)
    draft.refresh_from_db()
    assert draft.foreword != "Changed."


# --- The deadline: shown, and nothing happens on it ------------------------------------------


def test_nothing_happens_on_the_deadline_or_the_day_after(kent, year, clock, draft):
    for when, shown in [("2026-04-30 23:59", "(today)"), ("2026-05-01 00:00", "(1 day ago)")]:
        clock.set(when)
        overview = page(kent.get(KENT))
        assert f"Reports are due by 30 April 2026 {shown}." in overview
        assert "Check and submit" in overview
        response = edit_introduction(kent, draft, f"Written {when}.")
        assert "Saved." in page(response)
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    assert draft.foreword == "Written 2026-05-01 00:00."
    AnnualReport.objects.filter(pk=draft.pk).delete()
    kent.post(START)
    assert AnnualReport.objects.filter(area__slug="kent").exists()


def test_the_window_is_shown_on_the_task_list_and_the_dashboard(kent, year, clock, draft):
    clock.set("2026-04-20 10:00")
    expected = (
        "The 2025-26 collection is open. Reports are due by 30 April 2026 (10 days left). "
        "New reports can be started until the end of 31 May 2026. Draft reports can be changed "
        "and submitted until the end of 30 June 2026."
    )
    assert expected in page(kent.get(KENT))
    assert expected in page(kent.get("/manage/"))


# --- Changing and submitting ---------------------------------------------------------------


def test_drafts_can_be_changed_until_midnight_on_the_day_edits_close(kent, clock, draft):
    clock.set("2026-06-30 23:59:59")
    assert "Saved." in page(edit_introduction(kent, draft, "In time."))
    clock.set("2026-07-01 00:00:00")
    response = edit_introduction(kent, draft, "Too late.")
    assert f"{EDITS_CLOSED}." in page(response)
    draft.refresh_from_db()
    assert draft.foreword == "In time."


@pytest.mark.parametrize(
    "section", ["introduction/", "local-page/", "signatories/", "tables/rso_breaches/"]
)
def test_every_form_of_a_draft_refuses_after_edits_close_saying_why(kent, clock, draft, section):
    clock.set("2026-07-01 09:00")
    response = kent.get(KENT + section, follow=True)
    assert response.redirect_chain[-1][0] == KENT
    assert f"{EDITS_CLOSED}." in page(response)
    overview = page(kent.get(KENT))
    assert f"{EDITS_CLOSED}. You can read it below." in overview
    assert "Check and submit" not in overview


def test_a_draft_cannot_be_submitted_after_edits_close(kent, kent_coordinator, clock, draft):
    clock.set("2026-07-01 09:00")
    response = kent.post(CHECK, {"version": draft.version}, follow=True)
    assert f"{EDITS_CLOSED}." in page(response)
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    with pytest.raises(workflow.TransitionRefused, match=EDITS_CLOSED):
        workflow.submit(draft, kent_coordinator, draft.version)


def test_a_save_begun_before_edits_close_is_refused_after(kent_coordinator, clock, draft):
    from reports import drafts

    clock.set("2026-06-30 23:59")
    version = draft.version
    clock.set("2026-07-01 00:01")
    with pytest.raises(drafts.NotEditable, match=EDITS_CLOSED):
        drafts.save_fields(draft, kent_coordinator, version, foreword="Late.")


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (
            Status.SUBMITTED,
            "The report is with reviewers: it can be changed only if they return it.",
        ),
        (
            Status.APPROVED,
            "The report is approved: it can be changed only if the national team returns it.",
        ),
    ],
)
def test_a_report_with_reviewers_or_approved_says_so_whatever_the_date(
    kent, year, clock, status, reason
):
    clock.set("2026-05-01 09:00")  # every window open
    make_report("kent", year=year, status=status)
    response = kent.get(INTRODUCTION, follow=True)
    assert reason in page(response)


def test_a_returned_report_can_be_changed_and_resubmitted_after_edits_close(
    kent, kent_coordinator, national_admin, clock, year
):
    clock.set("2026-06-20 09:00")
    report = make_report("kent", year=year, status=Status.SUBMITTED)
    clock.set("2026-07-02 09:00")
    workflow.perform(report, "return", national_admin, report.version, "Check the totals.")
    assert "Saved." in page(edit_introduction(kent, report, "Fixed."))
    report.refresh_from_db()
    workflow.submit(report, kent_coordinator, report.version)
    assert report.status == Status.SUBMITTED


def test_the_national_teams_moves_do_not_wait_on_the_dates(national_admin, clock, year):
    clock.set("2026-06-20 09:00")
    kent = make_report("kent", year=year, status=Status.SUBMITTED)
    essex = make_report("essex", year=year, status=Status.SUBMITTED)
    year.release_at = timezone.make_aware(datetime.datetime(2026, 10, 30, 9, 30))
    year.save()
    clock.set("2026-08-01 09:00")  # every date has passed, and no area has an extension
    workflow.perform(essex, "return", national_admin, essex.version, "A question.")
    workflow.perform(kent, "approve", national_admin, kent.version)
    workflow.perform(kent, "publish", national_admin, kent.version)
    assert (essex.status, kent.status) == (Status.RETURNED, Status.PUBLISHED)


# --- Extensions ----------------------------------------------------------------------------


def test_an_extension_lets_the_area_change_and_submit_and_says_so(
    kent, kent_coordinator, clock, draft
):
    clock.set("2026-06-29 09:00")
    extend("kent", datetime.date(2026, 7, 7))
    clock.set("2026-07-07 23:59")
    overview = page(kent.get(KENT))
    assert f"{EDITS_CLOSED}; Kent has an extension until 7 July 2026." in overview
    assert "Saved." in page(edit_introduction(kent, draft, "With the extension."))
    draft.refresh_from_db()
    workflow.submit(draft, kent_coordinator, draft.version)
    assert draft.status == Status.SUBMITTED


def test_the_dashboard_and_tracker_show_the_extension(kent, national, clock, draft):
    clock.set("2026-06-29 09:00")
    extend("kent", datetime.date(2026, 7, 7))
    clock.set("2026-07-07 23:50")
    note = f"{EDITS_CLOSED}; Kent has an extension until 7 July 2026."
    assert note in page(kent.get("/manage/"))
    tracker = page(national.get("/manage/tracker/2025-26/"))
    assert "Edits to draft reports closed on 30 June 2026." in tracker
    assert "Active: until 7 July 2026" in tracker
    clock.set("2026-07-08 00:00")  # a new day, within the session's 30 idle minutes
    assert "Ended: until 7 July 2026" in page(national.get("/manage/tracker/2025-26/"))


def test_an_extension_lets_the_area_start_after_starts_close(kent, year, clock):
    clock.set("2026-05-20 09:00")
    extend("kent", datetime.date(2026, 6, 10))
    clock.set("2026-06-05 09:00")
    start_page = page(kent.get(START))
    assert f"{STARTS_CLOSED}; Kent has an extension until 10 June 2026." in start_page
    kent.post(START)
    assert AnnualReport.objects.filter(area__slug="kent").exists()


def test_an_extension_ends_by_itself_at_midnight_on_its_last_day(kent, clock, draft):
    clock.set("2026-06-29 09:00")
    extend("kent", datetime.date(2026, 7, 7))
    clock.set("2026-07-08 00:00")
    response = edit_introduction(kent, draft, "Too late.")
    assert f"{EDITS_CLOSED}; Kent’s extension ended on 7 July 2026." in page(response)
    draft.refresh_from_db()
    assert draft.foreword != "Too late."


def test_a_withdrawn_extension_no_longer_counts(kent, national, clock, draft):
    clock.set("2026-06-29 09:00")
    extension = extend("kent", datetime.date(2026, 7, 7))
    clock.set("2026-07-03 11:00")
    national.post(f"{GRANT}{extension.pk}/withdraw/")
    response = edit_introduction(kent, draft, "After the withdrawal.")
    assert f"{EDITS_CLOSED}; Kent’s extension was withdrawn on 3 July 2026." in page(response)
    extension.refresh_from_db()
    assert extension.withdrawn_at == timezone.now()
    assert extension.withdrawn_by.get_username() == "nat@justice.example.gov.uk"


def test_another_areas_extension_does_not_help(clock, year, national_admin):
    clock.set("2026-06-29 09:00")
    essex = make_report("essex", year=year, status=Status.DRAFT)
    extend("kent", datetime.date(2026, 7, 7))
    clock.set("2026-07-02 09:00")
    essex_client = signed_in(make_user("esme@essex.example.gov.uk", areas=("essex",)))
    response = essex_client.get("/manage/reports/2025-26/essex/introduction/", follow=True)
    assert f"{EDITS_CLOSED}." in page(response)
    assert not windows.can_change(essex).allowed


def test_an_extension_before_edits_close_changes_nothing_for_edits(kent, clock, draft):
    clock.set("2026-05-20 09:00")
    extend("kent", datetime.date(2026, 6, 10))
    clock.set("2026-06-20 09:00")  # the extension has ended; edits are still open
    assert "Saved." in page(edit_introduction(kent, draft, "Still open."))


# --- The national team sets the dates --------------------------------------------------------


def dates(prefix: str, day: datetime.date | None) -> dict[str, str]:
    if day is None:
        return {f"{prefix}_0": "", f"{prefix}_1": "", f"{prefix}_2": ""}
    return {
        f"{prefix}_0": str(day.day),
        f"{prefix}_1": str(day.month),
        f"{prefix}_2": str(day.year),
    }


def window_post(deadline, starts, edits) -> dict[str, str]:
    return {
        **dates("deadline", deadline),
        **dates("starts_close_on", starts),
        **dates("edits_close_on", edits),
    }


def test_the_national_team_sets_the_dates(national, year, clock):
    clock.set("2026-04-01 09:00")
    response = national.post(
        COLLECTION,
        window_post(
            datetime.date(2026, 5, 15), datetime.date(2026, 6, 15), datetime.date(2026, 7, 15)
        ),
        follow=True,
    )
    assert "The 2025-26 collection dates are saved." in page(response)
    year.refresh_from_db()
    assert (year.deadline, year.starts_close_on, year.edits_close_on) == (
        datetime.date(2026, 5, 15),
        datetime.date(2026, 6, 15),
        datetime.date(2026, 7, 15),
    )
    assert "Reports are due by 15 May 2026 (44 days left)." in page(response)


@pytest.mark.parametrize(
    ("posted", "message"),
    [
        (
            window_post(None, datetime.date(2026, 7, 1), datetime.date(2026, 6, 30)),
            "New reports must close on or before the day edits close (30 June 2026).",
        ),
        (
            window_post(datetime.date(2026, 7, 1), None, datetime.date(2026, 6, 30)),
            "The deadline must be on or before the day edits close (30 June 2026).",
        ),
        (
            window_post(None, None, datetime.date(2030, 6, 30)),
            "The day edits close must be between 1 April 2025 and 31 March 2028",
        ),
        (
            window_post(datetime.date(2024, 6, 30), None, None),
            "The deadline must be between 1 April 2025 and 31 March 2028",
        ),
        (
            {**window_post(None, None, None), "edits_close_on_0": "31", "edits_close_on_1": "2",
             "edits_close_on_2": "2026"},
            "The day edits close must be a real date",
        ),
        (
            {**window_post(None, None, None), "deadline_0": "30", "deadline_1": "June",
             "deadline_2": "2026"},
            "The month of the deadline must be a number",
        ),
        (
            {**window_post(None, None, None), "deadline_0": "30", "deadline_2": "2026"},
            "Enter the month of the deadline",
        ),
    ],
    ids=["starts after edits", "deadline after edits", "too late", "too early", "no such day",
         "month in words", "month missing"],
)  # fmt: skip
def test_bad_dates_are_refused_saying_why_and_change_nothing(national, year, posted, message):
    response = national.post(COLLECTION, posted)
    assert response.status_code == 200
    html = page(response)
    assert "There is a problem" in html
    assert escape(message) in html
    year.refresh_from_db()
    assert year.starts_close_on == datetime.date(2026, 5, 31)
    assert year.edits_close_on == datetime.date(2026, 6, 30)
    assert year.deadline == datetime.date(2026, 4, 30)


def test_the_national_team_gives_an_extension_recorded_with_who_when_and_why(
    national, national_admin, year, clock
):
    clock.set("2026-06-29 15:00")
    response = national.post(
        GRANT,
        {
            "extension-area": get_area("kent").pk,
            **dates("extension-until", datetime.date(2026, 7, 7)),
            "extension-reason": "  The coordinator is on leave.  ",
        },
        follow=True,
    )
    assert "Kent has an extension until 7 July 2026." in page(response)
    [extension] = Extension.objects.all()
    assert (extension.granted_by, extension.granted_at, extension.reason) == (
        national_admin,
        timezone.now(),
        "The coordinator is on leave.",
    )
    assert "The coordinator is on leave." in page(response)
    tracker = page(national.get("/manage/tracker/2025-26/"))
    assert "Active: until 7 July 2026" in tracker


def test_a_new_extension_replaces_the_last_which_stays_recorded(national_admin, year, clock):
    clock.set("2026-06-29 15:00")
    first = extend("kent", datetime.date(2026, 7, 7), by=national_admin)
    clock.set("2026-07-06 15:00")
    second = extend("kent", datetime.date(2026, 7, 14), by=national_admin)
    first.refresh_from_db()
    assert first.withdrawn_at == timezone.now() and first.withdrawn_by == national_admin
    assert windows.latest_extension(year, second.area) == second


@pytest.mark.parametrize(
    ("until", "reason", "message"),
    [
        (datetime.date(2026, 5, 31), "Leave.", "The extension must end after 31 May 2026"),
        (datetime.date(2026, 6, 28), "Leave.", "The extension must end today or later"),
        (datetime.date(2028, 4, 1), "Leave.", "The extension must end on or before 31 March 2028"),
        (datetime.date(2026, 7, 7), "   ", "Say why the area needs more time"),
    ],
)
def test_bad_extensions_are_refused_saying_why(national, year, clock, until, reason, message):
    clock.set("2026-06-29 15:00")
    response = national.post(
        GRANT,
        {"extension-area": "", **dates("extension-until", until), "extension-reason": reason},
    )
    html = page(response)
    assert "Choose the area to give more time" in html
    assert message in html
    assert not Extension.objects.exists()


def test_no_extension_before_the_collection_has_a_closing_date(national, year, clock):
    year.starts_close_on = year.edits_close_on = None
    year.save()
    clock.set("2026-06-29 15:00")
    response = national.post(
        GRANT, {**dates("extension-until", datetime.date(2026, 7, 7)), "extension-reason": "x"}
    )
    assert "Set the day new reports or edits close for 2025-26 first" in page(response)


def test_withdrawing_twice_says_it_was_already_withdrawn(national, year, clock):
    clock.set("2026-06-29 15:00")
    extension = extend("kent", datetime.date(2026, 7, 7))
    national.post(f"{GRANT}{extension.pk}/withdraw/")
    response = national.post(f"{GRANT}{extension.pk}/withdraw/", follow=True)
    assert "Kent’s extension had already been withdrawn." in page(response)


def test_an_extension_of_another_year_cannot_be_withdrawn_from_this_one(national, year, clock):
    clock.set("2026-06-29 15:00")
    extension = extend("kent", datetime.date(2026, 7, 7))
    other = open_year(2024)
    assert (
        national.post(
            f"/manage/collection/{other.label}/extensions/{extension.pk}/withdraw/"
        ).status_code
        == 404
    )
    extension.refresh_from_db()
    assert extension.withdrawn_at is None


# --- Imports -------------------------------------------------------------------------------


def import_file(tmp_path, report: AnnualReport) -> str:
    """Import the report's own first figure (unchanged): only the window can refuse it."""
    ref, value = next(iter(report.cell_values().items()))
    text = (
        "year,area,table,row,column,value\n"
        f"{report.year.label},{report.area.slug},{ref.table},{ref.row},{ref.column},"
        f"{report.template.text(ref, value)}\n"
    )
    path = tmp_path / "figures.csv"
    path.write_text(text, encoding="utf-8")
    out = io.StringIO()
    call_command("import_figures", str(path), stdout=out, verbosity=0)
    return out.getvalue()


def test_imports_follow_the_same_window(tmp_path, clock, draft):
    clock.set("2026-07-01 09:00")
    with pytest.raises(CommandError, match=f"cannot be changed by an import now. {EDITS_CLOSED}."):
        import_file(tmp_path, draft)
    extend("kent", datetime.date(2026, 7, 7))
    import_file(tmp_path, draft)  # allowed, with the extension


def test_imports_refuse_a_report_with_reviewers(tmp_path, clock, year):
    clock.set("2026-05-01 09:00")
    report = make_report("kent", year=year, status=Status.SUBMITTED)
    with pytest.raises(CommandError, match="The report is with reviewers"):
        import_file(tmp_path, report)


# --- Reminders -----------------------------------------------------------------------------


def test_reminders_go_only_to_areas_that_can_still_submit(year, clock, kent_coordinator):
    from django.core import mail

    from reports.notifications import send_deadline_reminders

    year.starts_close_on = datetime.date(2026, 4, 20)
    year.save()
    make_report("essex", year=year, status=Status.DRAFT)
    essex = make_user("esme@essex.example.gov.uk", areas=("essex",))
    clock.set("2026-04-23 08:00")  # the deadline is 7 days away; new reports have closed
    assert send_deadline_reminders(windows.today()) == 1
    assert mail.outbox[0].to == [essex.email]
    assert kent_coordinator.email not in mail.outbox[0].to


def test_a_date_error_links_to_the_dates_first_box(national, year):
    posted = window_post(None, datetime.date(2026, 7, 1), datetime.date(2026, 6, 30))
    html = page(national.post(COLLECTION, posted))
    assert '<a href="#id_starts_close_on_0">New reports must close on or before' in html
    assert 'id="id_starts_close_on_0"' in html
