"""The national team sets a collection's dates and gives an area an extension, in Chromium.

axe-core checks the collection page as it first reads, with each form's errors, and with an
extension listed; and the coordinator's task list with the extension and after its withdrawal.
"""

import datetime

import pytest
from playwright.sync_api import expect

from reports import windows
from reports.models import AnnualReport, long_date
from tests.factories import make_report, make_user, open_year

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "correct horse battery staple"
COLLECTION = "/manage/collection/2025-26/"
REPORT = "/manage/reports/2025-26/kent/"


@pytest.fixture
def site(live_server):
    today = windows.today()
    year = open_year(
        2025,
        deadline=today - datetime.timedelta(days=10),
        starts_close_on=today - datetime.timedelta(days=5),
        edits_close_on=today - datetime.timedelta(days=1),
    )
    make_user("kim@kent.example.gov.uk", areas=("kent",), first_name="Kim", last_name="Lee")
    make_user("nat@justice.example.gov.uk", national=True, first_name="Nat", last_name="Admin")
    make_report("kent", year=year, status=AnnualReport.Status.DRAFT)
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


def fill_date(form, legend: str, day: datetime.date) -> None:
    group = form.locator("fieldset", has_text=legend)
    group.get_by_label("Day").fill(str(day.day))
    group.get_by_label("Month").fill(str(day.month))
    group.get_by_label("Year").fill(str(day.year))


def test_dates_and_an_extension_from_the_collection_page(site, browser, axe):
    today = windows.today()
    closed = today - datetime.timedelta(days=1)
    admin = person(browser, site, "nat@justice.example.gov.uk")
    coordinator = person(browser, site, "kim@kent.example.gov.uk")

    coordinator.goto(f"{site}{REPORT}")
    expect(coordinator.locator(".govuk-inset-text")).to_contain_text(
        f"Edits to 2025-26 reports closed on {long_date(closed)}."
    )

    admin.goto(f"{site}/manage/tracker/2025-26/")
    admin.get_by_role("link", name="Change the collection dates or grant an extension").click()
    expect(admin.locator("h1")).to_have_text("Collection dates and extensions")
    assert axe(admin) == []

    # New reports closing after edits is refused, with a message linked to the field.
    dates = admin.locator("form", has=admin.get_by_role("button", name="Save the dates"))
    fill_date(dates, "New reports close on", today + datetime.timedelta(days=3))
    dates.get_by_role("button", name="Save the dates").click()
    summary = admin.locator(".govuk-error-summary")
    expect(summary).to_contain_text(
        f"New reports must close on or before the day edits close ({long_date(closed)})."
    )
    assert axe(admin) == []

    # An extension with nothing filled in: every missing answer is named.
    admin.get_by_role("button", name="Give the extension").click()
    expect(summary).to_contain_text("Choose the area to give more time")
    expect(summary).to_contain_text("Say why the area needs more time")
    assert axe(admin) == []

    until = today + datetime.timedelta(days=7)
    grant = admin.locator("form", has=admin.get_by_role("button", name="Give the extension"))
    grant.get_by_label("Area", exact=True).select_option(label="Kent")
    fill_date(grant, "Extension until", until)
    grant.get_by_label("Why the area needs more time").fill("The coordinator was on leave.")
    grant.get_by_role("button", name="Give the extension").click()
    expect(admin.locator(".govuk-notification-banner--success")).to_contain_text(
        f"Kent has an extension until {long_date(until)}."
    )
    expect(admin.locator("#extensions + table")).to_contain_text("The coordinator was on leave.")
    assert axe(admin) == []

    coordinator.goto(f"{site}{REPORT}")
    expect(coordinator.locator(".govuk-inset-text")).to_contain_text(
        f"Kent has an extension until {long_date(until)}."
    )
    expect(coordinator.get_by_role("link", name="Check and submit")).to_be_visible()
    assert axe(coordinator) == []

    admin.get_by_role("button", name="Withdraw Kent’s extension").click()
    expect(admin.locator(".govuk-notification-banner--success")).to_contain_text(
        "Kent’s extension is withdrawn."
    )
    coordinator.goto(f"{site}{REPORT}")
    expect(coordinator.locator(".govuk-inset-text")).to_contain_text(
        f"Kent’s extension was withdrawn on {long_date(today)}."
    )
    assert axe(coordinator) == []
