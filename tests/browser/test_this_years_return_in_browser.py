"""This year's return in Chromium: Category 4 and a rate with a decimal place, accessibly."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from reports.models import AnnualReport, StandardText
from reports.returns import CellRef
from tests.factories import make_user

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "correct horse battery staple"


@pytest.fixture
def site(live_server):
    call_command("load_demo", without_past_publications=True, verbosity=0)
    make_user("kim@kent.example.gov.uk", areas=("kent",))
    make_user("nat@justice.example.gov.uk", national=True)
    return live_server.url


def sign_in(page, site, email):
    page.goto(f"{site}/manage/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).to_have_text("Your reports")


def test_coordinator_enters_category_4_and_a_decimal_rate(site, page, axe, screenshot):
    sign_in(page, site, "kim@kent.example.gov.uk")
    page.get_by_role("link", name="Start the Kent 2025-26 report").click()
    page.get_by_role("button", name="Start the report").click()
    expect(page.locator(".govuk-task-list")).to_contain_text("Restrictive orders")
    report = f"{site}/manage/reports/2025-26/kent"
    page.goto(f"{report}/tables/eligible_offenders/")
    level_1_cat_4 = page.get_by_label("Level 1, Category 4: Terrorist or terrorism-risk offenders")
    level_1_cat_4.fill("3")
    page.get_by_label("Level 1, Category 1: Registered sex offenders").fill("1200")
    page.get_by_label("Level 1, Category 2: Violent offenders").fill("350")
    page.get_by_label("Level 1, Total").fill("1552")  # one short: 1,553
    page.get_by_role("button", name="Save and return to the report").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Level 1 total is 1,552 but")
    expect(summary).to_contain_text("Category 4 (3) = 1,553")
    assert axe(page) == [], "grid with Category 4 and an error"
    screenshot(page, "return-2025-26-category-4-error")
    page.get_by_label("Level 1, Total").fill("1553")
    page.get_by_role("button", name="Save and return to the report").click()
    expect(page.locator(".govuk-notification-banner--success")).to_be_visible()

    page.goto(f"{report}/tables/rso_rate/")
    expect(page.locator(".govuk-inset-text")).to_contain_text("up to 1 decimal place")
    page.locator("input[name='cell__per_100000__number']").fill("125.2")
    page.get_by_role("button", name="Save and return to the report").click()
    expect(page.locator(".govuk-notification-banner--success")).to_be_visible()
    assert axe(page) == [], "task list"
    values = AnnualReport.objects.get(year__start_year=2025).cell_values()
    assert str(values[CellRef("rso_rate", "per_100000", "number")].value) == "125.2"
    assert values[CellRef("eligible_offenders", "level_1", "category_4")].value == 3


def test_national_team_writes_the_years_standard_text(site, page, axe):
    sign_in(page, site, "nat@justice.example.gov.uk")
    page.get_by_role("link", name="Write each year's standard text").click()
    assert axe(page) == [], "standard text by year"
    page.get_by_role("link", name="Change the 2025-26 standard text").click()
    commentary = page.get_by_label("Explanatory commentary on statistical tables")
    commentary.fill("On {period_end}, {snapshot}.")
    page.get_by_role("button", name="Save the 2025-26 text").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("{snapshot} is not a date")
    assert axe(page) == [], "standard text with an error"
    commentary.fill("The picture on {period_end}: 95% managed at Level 1.")
    page.get_by_role("button", name="Save the 2025-26 text").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("is saved")
    text = StandardText.objects.get(year__start_year=2025)
    assert text.commentary == "The picture on {period_end}: 95% managed at Level 1."
