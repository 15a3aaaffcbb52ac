"""Submitting a report with the keyboard alone: no mouse, every step reachable by Tab."""

import pytest
from playwright.sync_api import expect

from reports.models import AnnualReport
from reports.returns import CellRef
from tests.factories import consistent_figures, make_report, make_user, open_year

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def site(live_server):
    year = open_year(2010)
    make_user("kim@kent.example.gov.uk", areas=("kent",))
    figures = consistent_figures(year.template)
    del figures[CellRef("rso_breaches", "rsos", "number")]  # one figure still to enter
    make_report("kent", year=year, status=AnnualReport.Status.DRAFT, figures=figures)
    return live_server.url


def tab_to(page, text: str, limit: int = 80) -> None:
    """Press Tab until the focused element's text or label contains `text`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => { const e = document.activeElement; if (!e || e === document.body) return ''; "
            "return (e.innerText || e.value || '') + ' ' "
            "+ (e.labels && e.labels[0] ? e.labels[0].innerText : ''); }"
        )
        if text in focused:
            return
    raise AssertionError(f"“{text}” cannot be reached with the Tab key")


def press_enter_and_wait(page) -> None:
    """Enter on a focused link or in a form: wait for the page it leads to."""
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_coordinator_submits_a_report_with_the_keyboard_alone(site, page):
    page.goto(f"{site}/account/sign-in/")
    tab_to(page, "Email address")
    page.keyboard.type("kim@kent.example.gov.uk")
    tab_to(page, "Password")
    page.keyboard.type("correct horse battery staple")
    press_enter_and_wait(page)
    expect(page.locator("h1")).to_have_text("Your reports")

    tab_to(page, "Continue")
    press_enter_and_wait(page)
    expect(page.locator("h1")).to_contain_text("MAPPA annual report 2010-11")
    tab_to(page, "RSOs cautioned or convicted for breach")
    press_enter_and_wait(page)
    tab_to(page, "RSOs cautioned or convicted")
    page.keyboard.type("22")
    press_enter_and_wait(page)  # submits the form, as a person would
    expect(page.locator(".govuk-notification-banner--success")).to_be_visible()

    tab_to(page, "Check and submit")
    press_enter_and_wait(page)
    expect(page.locator("h1")).to_have_text("Check the report before you submit it")
    tab_to(page, "Submit the report")
    press_enter_and_wait(page)
    expect(page.locator(".govuk-panel")).to_contain_text("Report submitted")
    assert AnnualReport.objects.get().status == AnnualReport.Status.SUBMITTED
