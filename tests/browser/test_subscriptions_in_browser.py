"""Subscribing, confirming and unsubscribing, and publishing a correction with its public note,
in Chromium: every page and form state accessible, and none wider than a 320 px screen."""

import datetime

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from reports.models import AnnualReport, Subscription
from tests.browser.test_review_journey import person
from tests.factories import make_report, make_user, open_year, reopen_and_approve

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def site(live_server):
    return live_server.url


def checked(page, axe, screenshot, name):
    """No axe-core violations, and nothing wider than a 320 px screen."""
    assert axe(page) == [], name
    page.set_viewport_size({"width": 320, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320, name
    screenshot(page, name)
    page.set_viewport_size({"width": 1100, "height": 900})


def link_in(message, site, part):
    link = next(word for word in message.body.split() if part in word)
    return link.replace(settings.SITE_URL, site)


def test_subscribe_confirm_and_unsubscribe(site, page, axe, screenshot):
    open_year(2011, release_at=timezone.now() + datetime.timedelta(days=20))
    page.goto(f"{site}/releases/")
    page.get_by_role("link", name="Get emails about the 2011-12 release").click()
    expect(page.locator("h1")).to_contain_text("Get emails about the 2011-12 release")
    checked(page, axe, screenshot, "subscribe")

    page.get_by_role("button", name="Subscribe").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter your email address.")
    checked(page, axe, screenshot, "subscribe-no-address")

    page.get_by_label("Email address").fill("reader@example.com")
    page.get_by_role("button", name="Subscribe").click()
    expect(page.locator("h1")).to_have_text("Check your email")
    checked(page, axe, screenshot, "subscribe-check-your-email")

    [confirmation] = mail.outbox
    page.goto(link_in(confirmation, site, "/subscriptions/confirm/"))
    expect(page.locator("h1")).to_have_text("Confirm your subscription")
    checked(page, axe, screenshot, "subscription-confirm")
    page.get_by_role("button", name="Confirm my subscription").click()
    expect(page.locator("h1")).to_have_text("Subscription confirmed")
    checked(page, axe, screenshot, "subscription-confirmed")
    assert Subscription.objects.get().confirmed_at is not None

    page.goto(link_in(confirmation, site, "/subscriptions/unsubscribe/"))
    expect(page.locator("h1")).to_have_text("Unsubscribe")
    checked(page, axe, screenshot, "unsubscribe")
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.locator("h1")).to_have_text("You have unsubscribed")
    checked(page, axe, screenshot, "unsubscribed")
    assert not Subscription.objects.exists()

    page.goto(f"{site}/subscriptions/confirm/not-a-link/")
    expect(page.locator("h1")).to_have_text("This link does not work")
    checked(page, axe, screenshot, "subscription-bad-link")


def test_an_areas_subscription_page(site, page, axe, screenshot):
    make_report("kent", year=open_year(2011, release_at=timezone.now()))
    page.goto(f"{site}/areas/kent/")
    page.get_by_role("link", name="Get emails about Kent’s reports").click()
    expect(page.locator("h1")).to_contain_text("Kent’s MAPPA annual reports")
    checked(page, axe, screenshot, "subscribe-area")


def test_publishing_a_correction_with_its_public_note(site, browser, axe, screenshot):
    year = open_year(2011, release_at=timezone.now() - datetime.timedelta(days=2))
    admin = make_user("nat@justice.example.gov.uk", national=True, first_name="Nat")
    report = make_report("kent", year=year, published_at=timezone.now() - datetime.timedelta(1))
    reopen_and_approve(report, admin, "Breach count corrected.")

    page = person(browser, site, "nat@justice.example.gov.uk")
    page.goto(f"{site}/manage/reports/2011-12/kent/review/")
    page.get_by_role("button", name="Publish", exact=True).click()
    note = page.get_by_label("Public note: what changed and why")
    expect(note).to_have_value("Breach count corrected.")
    checked(page, axe, screenshot, "publish-correction")

    note.fill("")
    page.get_by_role("button", name="Yes, publish the report").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Enter a public note saying what changed")
    expect(summary).to_contain_text("Choose whether to email subscribers")
    checked(page, axe, screenshot, "publish-correction-errors")
    assert report.revisions.count() == 1

    page.get_by_label("Public note: what changed and why").fill("The breach count was 12, not 21.")
    page.get_by_label("No, list it on the site and in the feed only").check()
    page.get_by_role("button", name="Yes, publish the report").click()
    expect(page.locator(".govuk-notification-banner--success")).to_be_visible()
    assert AnnualReport.objects.get().revisions.get(number=2).reason == (
        "The breach count was 12, not 21."
    )

    page.goto(f"{site}/reports/2011-12/kent/")
    page.get_by_text("Other versions of this report").click()
    expect(page.locator("#versions")).to_contain_text("Superseded")
    checked(page, axe, screenshot, "report-versions")
    page.goto(f"{site}/reports/2011-12/")
    expect(page.locator("#versions + p")).to_be_visible()
    checked(page, axe, screenshot, "year-versions")
