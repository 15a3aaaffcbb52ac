"""The public pages as a person sees them in Chromium: styled, complete and accessible."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)

REPORTS = ["kent", "cambridgeshire-and-peterborough"]


@pytest.fixture
def site(live_server):
    call_command("load_demo", verbosity=0)
    return live_server.url


@pytest.mark.parametrize("slug", REPORTS)
def test_report_page_is_styled_as_a_govuk_service(site, page, screenshot, slug):
    page.goto(f"{site}/reports/2010-11/{slug}/")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text().endswith("MAPPA Annual Report 2010-11")
    # GOV.UK Frontend's stylesheet and fonts are served and applied.
    font = page.evaluate("getComputedStyle(document.querySelector('h1')).fontFamily")
    assert "GDS Transport" in font
    assert page.evaluate("document.fonts.check('bold 48px \"GDS Transport\"')")
    header = page.evaluate(
        "getComputedStyle(document.querySelector('.govuk-header')).backgroundColor"
    )
    assert header == "rgb(11, 12, 12)"
    # GOV.UK Frontend's JavaScript ran.
    assert "govuk-frontend-supported" in page.evaluate("document.body.className")
    assert page.locator("table.app-statistics-table").count() == 6
    assert screenshot(page, f"report-2010-11-{slug}").stat().st_size > 50_000


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/reports/2010-11/kent/",
        "/reports/2010-11/cambridgeshire-and-peterborough/",
        "/releases/",
        "/nope/",
    ],
)
def test_public_pages_have_no_wcag_violations(site, page, axe, path):
    page.goto(f"{site}{path}")
    assert axe(page) == []


def test_contents_links_move_focus_to_each_section(site, page):
    page.goto(f"{site}/reports/2010-11/kent/")
    page.get_by_role("link", name="MAPPA statistics").click()
    expect(page).to_have_url(re.compile(r"#statistics$"))
    expect(page.locator("#statistics")).to_be_in_viewport()
