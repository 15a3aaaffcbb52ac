"""Every workflow move by every role: who may make it, what it records, what it refuses."""

import datetime
import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from reports import windows, workflow
from reports.drafts import EditConflict
from reports.models import AnnualReport, ReportEvent
from reports.returns import CellRef, CellValue
from tests.conftest import signed_in
from tests.factories import make_report, make_user, open_year

pytestmark = pytest.mark.django_db
Status = AnnualReport.Status
ALL_STATUSES = [s.value for s in Status]
ALLOWED = {
    # action: (role, statuses it starts from)
    "submit": ("coordinator", {"draft", "returned"}),
    "return": ("admin", {"submitted", "approved"}),
    "approve": ("admin", {"submitted"}),
    "publish": ("admin", {"approved"}),
    "reopen": ("admin", {"published"}),
}


@pytest.fixture
def people(kent_coordinator, other_coordinator, national_admin):
    return {
        "coordinator": kent_coordinator,
        "other area's coordinator": other_coordinator,
        "admin": national_admin,
    }


def year_released_yesterday():
    return open_year(2010, release_at=timezone.now() - datetime.timedelta(days=1))


@pytest.mark.parametrize("action", sorted(ALLOWED))
@pytest.mark.parametrize("status", ALL_STATUSES)
@pytest.mark.parametrize("who", ["coordinator", "other area's coordinator", "admin"])
def test_each_move_is_allowed_only_to_its_role_from_its_statuses(people, action, status, who):
    report = make_report("kent", year=year_released_yesterday(), status=status)
    role, sources = ALLOWED[action]
    expected = who == role and status in sources
    before = (report.status, ReportEvent.objects.count())
    try:
        workflow.perform(report, action, people[who], report.version, comment="Because.")
    except workflow.TransitionRefused:
        allowed = False
    else:
        allowed = True
    assert allowed == expected
    report.refresh_from_db()
    if expected:
        assert report.status == workflow.TRANSITIONS[action].target
        event = ReportEvent.objects.latest("pk")
        assert (event.action, event.from_status, event.user) == (action, status, people[who])
    else:
        assert (report.status, ReportEvent.objects.count()) == before


@pytest.mark.parametrize("action", ["return", "reopen"])
def test_return_and_reopen_need_a_comment(national_admin, action):
    status = Status.SUBMITTED if action == "return" else Status.PUBLISHED
    report = make_report("kent", year=year_released_yesterday(), status=status)
    with pytest.raises(workflow.TransitionRefused, match="Say why"):
        workflow.perform(report, action, national_admin, report.version, comment="  ")
    report.refresh_from_db()
    assert report.status == status


@pytest.mark.parametrize(
    ("action", "status"),
    [
        ("return", "submitted"),
        ("approve", "submitted"),
        ("publish", "approved"),
        ("reopen", "published"),
    ],
)
def test_admin_moves_through_the_review_page(national, national_admin, action, status):
    report = make_report("kent", year=year_released_yesterday(), status=status)
    response = national.post(
        f"/manage/reports/2010-11/kent/actions/{action}/",
        {
            f"{action}-version": report.version,
            f"{action}-comment": "Please check Level 1.",
            # Approving and publishing are confirmed on a page of their own (test_review_page).
            "confirm": "yes",
        },
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == workflow.TRANSITIONS[action].target


@pytest.mark.parametrize("action", ["return", "approve", "publish", "reopen", "submit", "nope"])
def test_coordinators_cannot_use_admin_actions(kent, action):
    report = make_report("kent", year=year_released_yesterday(), status=Status.SUBMITTED)
    response = kent.post(
        f"/manage/reports/2010-11/kent/actions/{action}/", {f"{action}-version": report.version}
    )
    assert response.status_code == 404
    report.refresh_from_db()
    assert report.status == Status.SUBMITTED


def test_actions_are_post_only(national):
    make_report("kent", year=year_released_yesterday(), status=Status.SUBMITTED)
    assert national.get("/manage/reports/2010-11/kent/actions/approve/").status_code == 405


def test_return_without_a_comment_is_explained_on_the_page(national):
    report = make_report("kent", year=year_released_yesterday(), status=Status.SUBMITTED)
    response = national.post(
        "/manage/reports/2010-11/kent/actions/return/", {"return-version": report.version}
    )
    assert response.status_code == 200
    assert "Say what the coordinator should put right." in response.content.decode()


def test_return_comment_points_at_cells_the_coordinator_sees(national, kent):
    report = make_report("kent", year=year_released_yesterday(), status=Status.SUBMITTED)
    national.post(
        "/manage/reports/2010-11/kent/actions/return/",
        {
            "return-version": report.version,
            "return-comment": "Level 1 looks high.",
            "pointers-TOTAL_FORMS": "1",
            "pointers-INITIAL_FORMS": "0",
            "pointers-0-target": "eligible_offenders.level_1.total",
            "pointers-0-comment": "Twice last year's.",
        },
    )
    page = kent.get("/manage/reports/2010-11/kent/").content.decode()
    assert "The national team said: “Level 1 looks high.”" in page
    assert "MAPPA-eligible offenders on 31 March: Level 1, Total</a>: Twice last year" in page


def test_reviewer_sees_cell_by_cell_changes_since_the_previous_submission(kent, national):
    report = make_report("kent", year=year_released_yesterday(), status=Status.DRAFT)
    kent.post("/manage/reports/2010-11/kent/check/", {"version": report.version})
    report.refresh_from_db()
    workflow.perform(
        report, "return", make_user("n2@x.gov.uk", national=True), report.version, "Fix"
    )
    report.refresh_from_db()
    ref = CellRef("rso_breaches", "rsos", "number")
    old = report.cell_values()[ref].value
    kent.post(
        "/manage/reports/2010-11/kent/tables/rso_breaches/",
        {"version": report.version, "cell__rsos__number": str(old + 1)},
    )
    report.refresh_from_db()
    kent.post("/manage/reports/2010-11/kent/check/", {"version": report.version})
    page = national.get("/manage/reports/2010-11/kent/review/").content.decode()
    assert "Changes since the previous submission" in page
    assert f'<td class="govuk-table__cell govuk-table__cell--numeric">{old}</td>' in page
    assert f'<td class="govuk-table__cell govuk-table__cell--numeric">{old + 1}</td>' in page


def test_timeline_shows_every_move_with_who_and_why(kent, national, national_admin):
    report = make_report("kent", year=year_released_yesterday(), status=Status.SUBMITTED)
    workflow.perform(report, "return", national_admin, report.version, "Please check the totals.")
    page = kent.get("/manage/reports/2010-11/kent/").content.decode()
    assert "Timeline" in page
    assert "Returned to coordinator" in page
    assert "“Please check the totals.”" in page


def test_concurrent_moves_cannot_both_win(national_admin):
    report = make_report("kent", year=year_released_yesterday(), status=Status.SUBMITTED)
    stale = AnnualReport.objects.get(pk=report.pk)
    workflow.perform(report, "approve", national_admin, report.version)
    with pytest.raises((workflow.TransitionRefused, EditConflict)):
        workflow.perform(stale, "return", national_admin, stale.version, "Too late")
    report.refresh_from_db()
    assert report.status == Status.APPROVED


def test_emails_go_to_admins_on_submit_and_coordinators_on_decisions(
    django_capture_on_commit_callbacks, kent_coordinator, national_admin
):
    report = make_report("kent", year=year_released_yesterday(), status=Status.DRAFT)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.perform(report, "submit", kent_coordinator, report.version)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.perform(report, "return", national_admin, report.version, "Check Level 1.")
    report.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.perform(report, "submit", kent_coordinator, report.version)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.perform(report, "approve", national_admin, report.version)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.perform(report, "publish", national_admin, report.version)
    subjects = [(m.subject.split(":")[0], m.to) for m in mail.outbox]
    admin, kent = [national_admin.email], [kent_coordinator.email]
    assert subjects == [
        ("Submitted", admin),
        ("Returned", kent),
        ("Submitted", admin),
        ("Approved", kent),
        ("Published", kent),
    ]
    assert "Check Level 1." in mail.outbox[1].body


def test_deadline_reminders_go_to_areas_that_have_not_submitted(
    kent_coordinator, other_coordinator
):
    from reports.notifications import send_deadline_reminders

    today = datetime.date(2012, 6, 23)
    year = open_year(2011, deadline=today + datetime.timedelta(days=7))
    make_report("essex", year=year, status=Status.SUBMITTED)
    assert send_deadline_reminders(today) == 1
    [email] = mail.outbox
    assert email.to == [kent_coordinator.email]
    assert email.subject == "Due in 7 days: the Kent MAPPA report for 2011-12"
    assert send_deadline_reminders(today + datetime.timedelta(days=1)) == 1 - 1  # 6 days: none


def test_tracker_shows_every_area_status_last_action_and_days_left(national, national_admin):
    year = open_year(2011, deadline=windows.today() + datetime.timedelta(days=10))
    report = make_report("kent", year=year, status=Status.SUBMITTED)
    workflow.perform(report, "approve", national_admin, report.version)
    make_report("essex", year=year, status=Status.DRAFT)
    page = national.get("/manage/tracker/2011-12/").content.decode()
    assert "42 areas" in page
    assert "(10 days left)" in page
    assert "Approved by" in page
    filtered = national.get("/manage/tracker/2011-12/?status=approved").content.decode()
    assert "1 area" in filtered and "Kent" in filtered and "Essex" not in filtered
    assert (
        "40 areas" in national.get("/manage/tracker/2011-12/?status=not_started").content.decode()
    )
    assert national.get("/manage/tracker/2011-12/?status=<script>").status_code == 200


def test_tracker_is_for_the_national_team_only(kent, client, db):
    open_year(2011)
    assert kent.get("/manage/tracker/2011-12/").status_code == 404
    assert client.get("/manage/tracker/2011-12/").status_code == 302


def test_signed_in_coordinator_cannot_review(kent):
    make_report("kent", year=year_released_yesterday(), status=Status.SUBMITTED)
    assert kent.get("/manage/reports/2010-11/kent/review/").status_code == 404


def test_admin_actions_in_django_admin_follow_the_same_rules(national_admin):
    from django.contrib.auth.models import Permission

    national_admin.is_staff = True
    national_admin.save()
    national_admin.user_permissions.add(
        *Permission.objects.filter(codename__endswith="annualreport")
    )
    client = signed_in(national_admin)
    submitted = make_report("kent", year=year_released_yesterday(), status=Status.SUBMITTED)
    draft = make_report("essex", year=year_released_yesterday(), status=Status.DRAFT)
    selected = {"action": "approve", "_selected_action": [submitted.pk, draft.pk]}
    asked = client.post("/admin/reports/annualreport/", selected)
    html = asked.content.decode()
    assert "Are you sure you want to approve these reports?" in html
    assert "1 of the 2 selected reports will be approved" in html
    assert "Nothing: You cannot approve this report: it is draft." in html
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED  # nothing moves before "Yes"
    response = client.post(
        "/admin/reports/annualreport/", {**selected, "confirm": "yes"}, follow=True
    )
    assert response.status_code == 200
    submitted.refresh_from_db()
    draft.refresh_from_db()
    assert submitted.status == Status.APPROVED
    assert draft.status == Status.DRAFT
    assert "You cannot approve this report: it is draft." in response.content.decode()


def test_value_stays_put_for_figures_of_a_returned_report(national_admin):
    report = make_report("kent", year=year_released_yesterday(), status=Status.SUBMITTED)
    values = report.cell_values()
    workflow.perform(report, "return", national_admin, report.version, "Check.")
    assert report.cell_values() == values
    assert all(isinstance(v, CellValue) for v in values.values())


def test_the_daily_reminder_command_says_how_many_it_sent(kent_coordinator):
    today = windows.today()
    open_year(2011, deadline=today + datetime.timedelta(days=7))
    out = io.StringIO()
    call_command("send_reminders", stdout=out)
    assert out.getvalue().strip() == "1 reminder sent."
    assert len(mail.outbox) == 1
