"""A year's release in Chromium: the national team confirms and moves it, names who to ask and
a pre-release recipient, who reads the report only in the 24 hours before the release; at the
release the public sees it and who had pre-release access. axe-core on every page and error."""

import datetime

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import expect

from reports import workflow
from reports.models import AnnualReport, ReportingYear, release_time_on
from tests.browser.test_review_journey import person
from tests.factories import ShiftedClock, make_report, make_user, open_year

pytestmark = pytest.mark.django_db(transaction=True)
RELEASE = "/manage/releases/2010-11/"
PRE_KENT = "/manage/pre-release/2010-11/kent/"


@pytest.fixture
def clock(monkeypatch):
    clock = ShiftedClock()
    monkeypatch.setattr(timezone, "now", clock)
    return clock


@pytest.fixture
def site(live_server):
    open_year(2010)
    make_user("nat@justice.example.gov.uk", national=True, first_name="Nat", last_name="Admin")
    make_user("min@justice.example.gov.uk", first_name="Min", last_name="Ister")
    return live_server.url


def fill_date(page, day: datetime.date) -> None:
    page.locator("#id_date-day_0").fill(str(day.day))
    page.locator("#id_date-day_1").fill(str(day.month))
    page.locator("#id_date-day_2").fill(str(day.year))


def refused(page, message: str, axe) -> None:
    expect(page.locator(".govuk-error-summary")).to_contain_text(message)
    assert page.title().startswith("Error:")
    assert axe(page) == []


def fits_a_small_phone(browser, site, path: str, context=None) -> bool:
    """Whether `path` (read as `context`'s signed-in person) runs off a 320 px wide screen."""
    if context is None:
        page = browser.new_page(viewport={"width": 320, "height": 800})
    else:
        page = context.new_page()
        page.set_viewport_size({"width": 320, "height": 800})
    page.goto(f"{site}{path}")
    width = page.evaluate("document.documentElement.scrollWidth")
    page.close()
    return width == 320


def test_pre_release_then_release(site, browser, page, axe, clock, screenshot):
    today = timezone.localdate()
    admin = person(browser, site, "nat@justice.example.gov.uk")
    admin.get_by_role("link", name="Announce releases").click()
    expect(admin.locator("h1")).to_have_text("Releases")
    assert axe(admin) == []
    admin.get_by_role("link", name="Announce the 2010-11 release").click()
    expect(admin.locator("h1")).to_have_text("Release")
    assert axe(admin) == []

    # Provisional first: a month.
    admin.get_by_label("Release month").select_option("12")
    admin.get_by_label("Release year").fill("2020")
    admin.get_by_role("button", name="Announce the month").click()
    refused(admin, "The month of the release must be this month or later", axe)
    admin.get_by_label("Release year").fill(str(today.year + 1))
    admin.get_by_role("button", name="Announce the month").click()
    expect(admin.locator(".govuk-notification-banner--success")).to_contain_text("announced")

    # Then confirmed; a date in the past is refused.
    fill_date(admin, datetime.date(2020, 1, 30))
    admin.get_by_role("button", name="Confirm the date").click()
    refused(admin, "The release date must be in the future", axe)
    first = today + datetime.timedelta(days=10)
    fill_date(admin, first)
    admin.get_by_role("button", name="Confirm the date").click()
    expect(admin.locator(".govuk-notification-banner--success")).to_contain_text("confirmed")

    # Moving it needs a reason.
    moved = today + datetime.timedelta(days=12)
    fill_date(admin, moved)
    admin.get_by_role("button", name="Move the release").click()
    refused(admin, "Say why the release is moving", axe)
    admin.get_by_label("Why the release is moving").fill("Two areas are still checking figures.")
    admin.get_by_role("button", name="Move the release").click()
    expect(admin.locator(".govuk-notification-banner--success")).to_contain_text("moved")
    assert axe(admin) == []
    screenshot(admin, "release-moved")

    # Who to ask.
    admin.get_by_label("Responsible statistician").fill("Sam Stats")
    admin.get_by_label("Contact email address").fill("not an address")
    admin.get_by_role("button", name="Save", exact=True).click()
    refused(admin, "Enter an email address in the correct format", axe)
    admin.get_by_label("Contact email address").fill("mappa.stats@justice.gov.uk")
    admin.get_by_role("button", name="Save", exact=True).click()
    expect(admin.locator(".govuk-notification-banner--success")).to_contain_text("Who to ask")
    assert fits_a_small_phone(browser, site, RELEASE, admin.context)

    # The public calendar shows the new date, the previous one and why.
    page.goto(f"{site}/releases/")
    card = page.locator("#release-2010-11")
    expect(card).to_contain_text(f"{moved:%A} {moved.day} {moved:%B %Y} at 09:30")
    expect(card).to_contain_text(f"Previously {first:%A} {first.day} {first:%B %Y} at 09:30.")
    expect(card).to_contain_text("Two areas are still checking figures.")
    assert axe(page) == []
    screenshot(page, "release-calendar-moved")
    assert fits_a_small_phone(browser, site, "/releases/")

    # A pre-release recipient, with a justification.
    admin.get_by_role("link", name="Pre-release access for 2010-11").click()
    assert axe(admin) == []
    admin.get_by_role("button", name="Give pre-release access").click()
    refused(admin, "Say why the person needs pre-release access", axe)
    admin.get_by_label("Full name").fill("Min Ister")
    admin.get_by_label("Email address").fill("min@justice.example.gov.uk")
    admin.get_by_label("Role").fill("Minister of State for Prisons")
    admin.get_by_label("Organisation").fill("Ministry of Justice")
    admin.get_by_label("Why they need pre-release access").fill("Answers in Parliament.")
    admin.get_by_role("button", name="Give pre-release access").click()
    expect(admin.locator(".govuk-notification-banner--success")).to_contain_text("Min Ister")
    assert axe(admin) == []

    # Kent's report is approved and published to wait for the release.
    report = make_report("kent", year=ReportingYear.objects.get(), status="approved")
    national = User.objects.get(email="nat@justice.example.gov.uk")
    workflow.perform(report, "publish", national, report.version)
    release_at = release_time_on(moved)

    # Before the window the recipient sees nothing.
    reader = person(browser, site, "min@justice.example.gov.uk")
    assert reader.goto(f"{site}{PRE_KENT}").status == 404
    expect(reader.locator("h1")).to_have_text("Page not found")

    # Inside it, the report, watermarked; the public still gets 404.
    clock.move_to(release_at - datetime.timedelta(hours=2))
    reader = person(browser, site, "min@justice.example.gov.uk")
    reader.get_by_role("link", name="read the 2010-11 statistics before their release").click()
    expect(reader.locator("h1")).to_contain_text("MAPPA statistics 2010-11")
    assert axe(reader) == []
    reader.get_by_role("link", name="Kent").click()
    watermark = f"Pre-release: not for publication until {moved:%A} {moved.day} {moved:%B %Y}"
    expect(reader.locator(".app-pre-release").first).to_contain_text(f"{watermark} at 09:30")
    assert axe(reader) == []
    screenshot(reader, "pre-release-report")
    assert fits_a_small_phone(browser, site, PRE_KENT, reader.context)
    reader.goto(f"{site}/manage/pre-release/2010-11/national/")
    expect(reader.locator(".app-pre-release").first).to_contain_text(watermark)
    assert axe(reader) == []
    assert page.goto(f"{site}/reports/2010-11/kent/").status == 404
    admin = person(browser, site, "nat@justice.example.gov.uk")
    admin.goto(f"{site}/manage/releases/2010-11/pre-release/")
    expect(admin.locator("#views ~ div table")).to_contain_text("Kent report 2010-11")
    assert axe(admin) == []
    screenshot(admin, "pre-release-recipients-and-views")

    # At the release the public reads it, with who had pre-release access and who to ask.
    clock.move_to(release_at + datetime.timedelta(minutes=1))
    assert page.goto(f"{site}/reports/2010-11/kent/").status == 200
    page.goto(f"{site}/reports/2010-11/")
    expect(page.locator("#pre-release-access ~ ul")).to_contain_text(
        "Min Ister, Minister of State for Prisons, Ministry of Justice"
    )
    expect(page.locator("#who-to-ask")).to_contain_text("Sam Stats")
    assert axe(page) == []
    page.goto(f"{site}/releases/")
    expect(page.locator("#release-2010-11")).to_contain_text("Min Ister")
    assert axe(page) == []
    reader = person(browser, site, "min@justice.example.gov.uk")
    assert reader.goto(f"{site}{PRE_KENT}").status == 404
    assert AnnualReport.objects.get().status == "published"
