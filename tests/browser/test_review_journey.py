"""Review to publication and an open correction, across three people, in Chromium."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reports.models import AnnualReport
from reports.returns import CellRef
from tests.factories import make_report, make_user, open_year

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "correct horse battery staple"
REPORT = "/manage/reports/2010-11/kent"


@pytest.fixture
def site(live_server):
    year = open_year(2010, release_at=timezone.now() - datetime.timedelta(hours=1))
    make_user("kim@kent.example.gov.uk", areas=("kent",), first_name="Kim", last_name="Lee")
    make_user("nat@justice.example.gov.uk", national=True, first_name="Nat", last_name="Admin")
    make_report("kent", year=year, status=AnnualReport.Status.DRAFT, foreword="Kent foreword.")
    return live_server.url


def person(browser, site, email):
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.goto(f"{site}/account/sign-in/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).to_have_text("Your reports")
    return page


def submit(coordinator, site):
    coordinator.goto(f"{site}{REPORT}/check/")
    coordinator.get_by_role("button", name="Submit the report").click()
    expect(coordinator.locator(".govuk-panel")).to_contain_text("Report submitted")


def admin_does(admin, site, button, comment=None):
    admin.goto(f"{site}{REPORT}/review/")
    if comment is not None:
        section = admin.locator(f"form:has(button:text-is('{button}'))")
        section.locator("textarea").fill(comment)
    admin.get_by_role("button", name=button, exact=True).click()
    if button == "Publish" and admin.get_by_label("Public note: what changed and why").count():
        # A correction: its public note starts as the reopen reason; subscribers not emailed.
        admin.get_by_label("No, list it on the site and in the feed only").check()
    if button in ("Approve", "Publish"):  # asked to confirm, on a page of its own
        admin.get_by_role("button", name=f"Yes, {button.lower()} the report").click()
    expect(admin.locator(".govuk-notification-banner--success")).to_be_visible()


def change_rso_breaches(coordinator, site, value):
    coordinator.goto(f"{site}{REPORT}/tables/rso_breaches/")
    coordinator.locator("input[name='cell__rsos__number']").fill(str(value))
    coordinator.get_by_role("button", name="Save and return to the report").click()
    expect(coordinator.locator(".govuk-notification-banner--success")).to_be_visible()


def test_return_resubmit_approve_publish_and_correct(site, browser, page, axe):
    coordinator = person(browser, site, "kim@kent.example.gov.uk")
    admin = person(browser, site, "nat@justice.example.gov.uk")
    submit(coordinator, site)
    admin.goto(f"{site}/manage/tracker/2010-11/")
    expect(admin.locator("h1")).to_have_text("2010-11 submissions")
    assert axe(admin) == []

    # The admin returns it with a comment that points at a cell.
    admin.goto(f"{site}{REPORT}/review/")
    assert axe(admin) == []
    form = admin.locator("form:has(button:text-is('Return to coordinator'))")
    form.get_by_label("What should the coordinator put right?").fill("The breach count looks low.")
    form.get_by_label("Point 1: section or cell").select_option("rso_breaches.rsos.number")
    form.get_by_label("Point 1: what to look at").fill("Lower than last year.")
    form.get_by_role("button", name="Return to coordinator").click()
    expect(admin.locator(".govuk-notification-banner--success")).to_contain_text("returned")

    # The coordinator sees why, fixes the figure and resubmits.
    coordinator.goto(f"{site}{REPORT}/")
    expect(coordinator.locator(".govuk-notification-banner")).to_contain_text(
        "The breach count looks low."
    )
    report = AnnualReport.objects.get(area__slug="kent")
    ref = CellRef("rso_breaches", "rsos", "number")
    old = report.cell_values()[ref].value
    change_rso_breaches(coordinator, site, old + 3)
    submit(coordinator, site)

    # The admin sees exactly what changed, approves and publishes.
    admin.goto(f"{site}{REPORT}/review/")
    changes = admin.locator("table:has(caption:text('Figures changed'))")
    expect(changes).to_contain_text(str(old))
    expect(changes).to_contain_text(str(old + 3))
    admin_does(admin, site, "Approve")
    admin_does(admin, site, "Publish")

    # The public page appears.
    page.goto(f"{site}/reports/2010-11/kent/")
    expect(page.locator("h1")).to_contain_text("Annual Report 2010-11")
    expect(page.locator("[data-cell='rso_breaches.rsos.number']")).to_have_text(str(old + 3))

    # A correction: reopened with a reason, fixed, re-approved and re-published.
    admin_does(admin, site, "Reopen for a correction", comment="Breach count corrected.")
    change_rso_breaches(coordinator, site, old + 4)
    submit(coordinator, site)
    admin_does(admin, site, "Approve")
    admin_does(admin, site, "Publish")

    page.goto(f"{site}/reports/2010-11/kent/")
    today = timezone.localdate()
    expect(page.locator("#revisions")).to_contain_text(
        f"Revised on {today.day} {today:%B %Y}: Breach count corrected."
    )
    expect(page.locator("[data-cell='rso_breaches.rsos.number']")).to_have_text(str(old + 4))
    assert axe(page) == []
    page.get_by_text("Other versions of this report").click()
    page.get_by_role("link", name="Revision 1").click()
    expect(page.locator(".govuk-warning-text")).to_contain_text("This is an earlier version")
    expect(page.locator("[data-cell='rso_breaches.rsos.number']")).to_have_text(str(old + 3))
