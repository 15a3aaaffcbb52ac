"""Returns pointing at cells, confirmations and scheduled statuses, in Chromium, with axe-core
checking every page and state on the way."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reports.models import AnnualReport
from tests.factories import make_report, make_user, open_year

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "correct horse battery staple"
REPORT = "/manage/reports/2010-11/kent"
CELL = (
    "RSOs cautioned or convicted for breach of notification requirements: "
    "RSOs cautioned or convicted"
)


@pytest.fixture
def site(live_server):
    year = open_year(2010, release_at=timezone.now() + datetime.timedelta(days=30))
    make_user("kim@kent.example.gov.uk", areas=("kent",), first_name="Kim", last_name="Lee")
    make_user("nat@justice.example.gov.uk", national=True, first_name="Nat", last_name="Admin")
    make_report("kent", year=year, status=AnnualReport.Status.DRAFT)
    return live_server.url


def person(browser, site, email):
    page = browser.new_context(bypass_csp=True).new_page()
    page.goto(f"{site}/account/sign-in/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).to_have_text("Your reports")
    return page


def test_a_return_points_at_a_cell_and_approval_is_confirmed_and_scheduled(site, browser, axe):
    coordinator = person(browser, site, "kim@kent.example.gov.uk")
    admin = person(browser, site, "nat@justice.example.gov.uk")

    # The national team's dashboard: one table, filtered without JavaScript.
    expect(admin.locator("#reports-table")).to_contain_text("Kent")
    admin.get_by_label("Area").select_option("kent")
    admin.get_by_role("button", name="Apply filters").click()
    expect(admin.locator("#reports-table tbody tr")).to_have_count(1)
    assert axe(admin) == []

    coordinator.goto(f"{site}{REPORT}/check/")
    coordinator.get_by_role("button", name="Submit the report").click()
    expect(coordinator.locator(".govuk-panel__title")).to_have_text("Report submitted")
    assert axe(coordinator) == []

    # The admin returns it pointing at a cell; adding a second point keeps what was typed.
    admin.goto(f"{site}{REPORT}/review/")
    expect(admin.locator("#preview-title")).to_have_text("The report as it will be published")
    assert axe(admin) == []
    admin.get_by_label("What should the coordinator put right?").fill("One figure looks low.")
    admin.get_by_label("Point 1: section or cell").select_option(label=CELL)
    admin.get_by_label("Point 1: what to look at").fill("Lower than every year since 2005.")
    admin.get_by_role("button", name="Add another point").click()
    expect(admin.get_by_label("Point 3: section or cell")).to_be_focused()
    expect(admin.get_by_label("Point 1: what to look at")).to_have_value(
        "Lower than every year since 2005."
    )
    assert axe(admin) == []
    admin.get_by_role("button", name="Return to coordinator").click()
    expect(admin.locator(".govuk-notification-banner--success")).to_contain_text("returned")

    # The coordinator follows the task list's link to the highlighted cell and fixes it.
    coordinator.goto(f"{site}{REPORT}/")
    assert axe(coordinator) == []
    coordinator.get_by_role("link", name=CELL).click()
    cell = coordinator.locator("#id_cell__rsos__number")
    expect(coordinator.locator("#returned")).to_contain_text("Lower than every year since 2005.")
    expect(coordinator.locator("td.app-pointed")).to_contain_text(
        "To check: Lower than every year since 2005."
    )
    assert axe(coordinator) == []
    cell.fill(str(int(cell.input_value()) + 2))
    coordinator.get_by_role("button", name="Save and check the report").click()
    coordinator.get_by_role("button", name="Submit the report").click()
    expect(coordinator.locator(".govuk-panel__title")).to_have_text("Report submitted")

    # The admin sees the change, approves on a confirmation page, and it reads "scheduled".
    admin.goto(f"{site}{REPORT}/review/")
    expect(admin.locator("#last-return")).to_be_visible()
    admin.get_by_role("button", name="Approve", exact=True).click()
    expect(admin.locator("h1")).to_have_text("Are you sure you want to approve this report?")
    assert axe(admin) == []
    admin.get_by_role("button", name="Yes, approve the report").click()
    expect(admin.locator("#report-status")).to_contain_text("Approved, scheduled for release on")
    admin.get_by_role("button", name="Publish", exact=True).click()
    expect(admin.locator("h1")).to_have_text("Are you sure you want to publish this report?")
    assert axe(admin) == []
    admin.get_by_role("button", name="Yes, publish the report").click()
    expect(admin.locator("#report-status")).to_contain_text("Approved, scheduled for release on")
    coordinator.goto(f"{site}{REPORT}/")
    expect(coordinator.locator("#report-status")).to_contain_text("scheduled for release")
