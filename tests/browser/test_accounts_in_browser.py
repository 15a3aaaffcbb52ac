"""The national team invites a coordinator, who sets a password and signs in, in Chromium.

Every page and error state on the way is checked with axe-core.
"""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from tests.factories import get_area, make_user

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a long and memorable passphrase"


@pytest.fixture
def site(live_server):
    get_area("derbyshire")  # the 42 areas, again if an earlier transactional test flushed them
    make_user("nat@justice.example.gov.uk", national=True, first_name="Nat", last_name="Admin")
    return live_server.url


def sign_in(page, site, email, password):
    page.goto(f"{site}/account/sign-in/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).to_have_text("Your reports")


def test_the_national_team_invites_a_coordinator_who_sets_a_password(
    site, browser, page, axe, screenshot
):
    sign_in(page, site, "nat@justice.example.gov.uk", PASSWORD)
    expect(page.locator(".app-signed-in")).to_have_text(re.compile(r"Signed in as\s+Nat Admin"))
    page.get_by_role("link", name="Accounts", exact=True).click()
    expect(page.locator("h1")).to_have_text("Accounts")
    assert axe(page) == []

    page.get_by_role("link", name="Invite a coordinator").click()
    assert axe(page) == []
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter their first name.")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select at least one area.")
    assert axe(page) == []

    page.get_by_label("First name").fill("Dee")
    page.get_by_label("Last name").fill("Byshire")
    page.get_by_label("Email address").fill("dee@derbyshire.example.gov.uk")
    page.get_by_label("Derbyshire").check()
    page.get_by_label("Nottinghamshire").check()
    page.get_by_role("button", name="Send the invitation").click()
    banner = page.locator(".govuk-notification-banner--success")
    expect(banner).to_contain_text("Dee Byshire has been invited.")
    expect(page.locator("h1")).to_have_text("Dee Byshire")
    expect(page.locator(".govuk-summary-list")).to_contain_text("Invited")
    assert axe(page) == []
    screenshot(page, "account-invited")

    page.get_by_role("link", name="Change areas").click()
    page.get_by_label("Nottinghamshire").uncheck()
    page.get_by_label("Derbyshire").uncheck()
    page.get_by_role("button", name="Save their areas").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select at least one area.")
    assert axe(page) == []

    [email] = mail.outbox
    link = re.search(r"https?://\S+(/account/invitation/\S+/)", email.body).group(1)
    assert link not in page.content()

    coordinator = browser.new_context(bypass_csp=True).new_page()
    coordinator.goto(f"{site}{link}")
    expect(coordinator.locator("h1")).to_have_text("Create your password")
    assert axe(coordinator) == []
    coordinator.get_by_label("Create a password").fill(NEW_PASSWORD)
    coordinator.get_by_label("Confirm your password").fill("not the same")
    coordinator.get_by_role("button", name="Save your password").click()
    expect(coordinator.locator(".govuk-error-summary")).to_contain_text(
        "The passwords do not match."
    )
    assert axe(coordinator) == []
    coordinator.get_by_label("Create a password").fill(NEW_PASSWORD)
    coordinator.get_by_label("Confirm your password").fill(NEW_PASSWORD)
    coordinator.get_by_role("button", name="Save your password").click()
    expect(coordinator.locator(".govuk-notification-banner--success")).to_contain_text(
        "Your password is set."
    )
    assert axe(coordinator) == []

    sign_in(coordinator, site, "dee@derbyshire.example.gov.uk", NEW_PASSWORD)
    expect(coordinator.locator(".app-signed-in")).to_contain_text("Dee Byshire")
    expect(coordinator.locator("#area-derbyshire")).to_be_visible()
    expect(coordinator.locator("#area-nottinghamshire")).to_be_visible()
    screenshot(coordinator, "account-coordinator-signed-in")

    coordinator.goto(f"{site}{link}")
    expect(coordinator.locator("h1")).to_have_text("This invitation cannot be used")
    expect(coordinator.locator("main")).to_contain_text("already been used to set a password")
    assert axe(coordinator) == []

    page.goto(f"{site}/manage/accounts/")
    row = page.locator("tr", has_text="dee@derbyshire.example.gov.uk")
    expect(row).to_contain_text("Active")
    expect(row).to_contain_text("Derbyshire, Nottinghamshire")
    row.get_by_role("link", name="Dee Byshire").click()
    page.get_by_role("button", name="Deactivate the account").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("deactivated")
    expect(page.locator("table")).to_contain_text("Set a password from the invitation")
    assert axe(page) == []
    screenshot(page, "account-deactivated")
