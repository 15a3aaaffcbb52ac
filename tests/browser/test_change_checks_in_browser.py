"""Flagged figures in Chromium: explained one by one, submitted, and listed for the national team,
with no axe-core violations on any of their pages or states."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reports.models import AnnualReport
from reports.returns import CellRef, CellValue
from tests.factories import consistent_figures, make_report, make_user, make_year, open_year

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "correct horse battery staple"
REPORT = "/manage/reports/2011-12/kent"
BREACHES = CellRef("rso_breaches", "rsos", "number")
SOPOS = CellRef("restrictive_orders", "sopos", "number")


@pytest.fixture
def site(live_server):
    released = timezone.now() - datetime.timedelta(days=1)
    before = consistent_figures(make_year(2010).template, seed=1)
    make_report("kent", year=open_year(2010, release_at=released), figures=before)
    now = dict(before)
    now[BREACHES] = CellValue.of(before[BREACHES].value + 40)
    now[SOPOS] = CellValue.of(before[SOPOS].value + 60)
    make_report("kent", year=open_year(2011), status=AnnualReport.Status.DRAFT, figures=now)
    make_user("kim@kent.example.gov.uk", areas=("kent",), first_name="Kim", last_name="Lee")
    make_user("nat@justice.example.gov.uk", national=True, first_name="Nat", last_name="Admin")
    return live_server.url


def person(browser, site, email):
    page = browser.new_context(bypass_csp=True).new_page()
    page.goto(f"{site}/account/sign-in/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).to_have_text("Your reports")
    return page


def test_flagged_figures_are_explained_submitted_and_listed_without_violations(
    browser, site, axe, screenshot
):
    coordinator = person(browser, site, "kim@kent.example.gov.uk")
    coordinator.goto(f"{site}{REPORT}/check/")
    expect(coordinator.locator("#figures-to-check")).to_be_visible()
    expect(coordinator.locator(".govuk-summary-card")).to_have_count(2)
    assert axe(coordinator) == [], "check page with flagged figures"
    screenshot(coordinator, "check-with-flagged-figures")

    # An empty explanation is refused with the GOV.UK error summary.
    coordinator.get_by_role("link", name="Explain RSOs cautioned").click()
    expect(coordinator.locator("h1")).to_have_text("Explain a figure")
    assert axe(coordinator) == [], "explain page"
    coordinator.get_by_role("button", name="Save the explanation").click()
    expect(coordinator.locator(".govuk-error-summary")).to_contain_text(
        "Explain why this figure changed like this."
    )
    assert axe(coordinator) == [], "explain page with an error"
    coordinator.get_by_label("Why did this figure change like this?").fill("A new police unit.")
    coordinator.get_by_role("button", name="Save the explanation").click()
    expect(coordinator.locator(".govuk-notification-banner--success")).to_contain_text(
        "explanation saved"
    )
    expect(coordinator.get_by_text("Not explained yet")).to_have_count(1)
    coordinator.get_by_role("link", name="Explain Restrictive orders").click()
    coordinator.get_by_label("Why did this figure change like this?").fill("A court backlog.")
    coordinator.get_by_role("button", name="Save the explanation").click()
    coordinator.get_by_role("button", name="Submit the report").click()
    expect(coordinator.locator(".govuk-panel")).to_contain_text("Report submitted")

    admin = person(browser, site, "nat@justice.example.gov.uk")
    admin.goto(f"{site}/manage/flagged-figures/2011-12/")
    expect(admin.locator("caption")).to_contain_text("2 flagged figures")
    expect(admin.get_by_text("A court backlog.")).to_be_visible()
    assert axe(admin) == [], "the national list of flagged figures"
    screenshot(admin, "flagged-figures")
    admin.get_by_role("link", name="Kent").first.click()
    expect(admin.locator("#figures-to-check")).to_be_visible()
    expect(admin.get_by_text("A new police unit.")).to_be_visible()
    assert axe(admin) == [], "review page with flagged figures"
