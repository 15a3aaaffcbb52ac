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
    assert page.locator("h1").inner_text().endswith("Annual Report 2010-11")
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
        "/reports/2010-11/",
        "/reports/2010-11/compare/",
        "/areas/",
        "/areas/kent/",
        "/areas/west-yorkshire/",
        "/reports/2019-20/",
        "/reports/2019-20/compare/",
        "/reports/2019-20/west-yorkshire/",
        "/data/series/category_1_on_31_march/",
        "/data/",
        "/reports/2010-11/kent/revisions/1/",
        "/account/password-reset/",
        "/account/password-reset/sent/",
        "/account/signed-out/",
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


def test_printed_report_is_laid_out_like_the_document(site, page):
    page.goto(f"{site}/reports/2010-11/kent/")
    page.emulate_media(media="print")
    for selector in (".govuk-header", ".govuk-footer", ".govuk-service-navigation"):
        assert page.locator(selector).evaluate("e => getComputedStyle(e).display") == "none"
    section = page.locator("section[aria-labelledby='statistics']")
    assert section.evaluate("e => getComputedStyle(e).breakBefore") == "page"
    table = page.locator("table.app-statistics-table").first
    assert table.evaluate("e => getComputedStyle(e).breakInside") == "avoid"
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 20_000


def test_sortable_comparison_works_by_keyboard(site, page):
    page.goto(f"{site}/reports/2010-11/compare/")
    link = page.get_by_role("link", name="Registered sex offenders per 100,000 population")
    link.focus()
    page.keyboard.press("Enter")
    header = page.locator("th[aria-sort='ascending']")
    expect(header).to_contain_text("Registered sex offenders per 100,000")
    column = page.locator("#compare thead th").all_inner_texts().index(header.inner_text())
    rates = page.locator(f"#compare tbody tr td:nth-child({column + 1})").all_inner_texts()
    numbers = [float(rate) for rate in rates if rate != "[x]"]
    assert numbers == sorted(numbers) and len(numbers) > 2  # the seeds and past publications
    rows = page.locator("#compare tbody th").all_inner_texts()
    assert rows.index("Cambridgeshire and Peterborough") < rows.index("Kent")  # 78 < 83


@pytest.mark.parametrize("path", ["/reports/2010-11/kent/", "/areas/kent/", "/account/sign-in/"])
def test_pages_work_under_the_content_security_policy(site, browser, path):
    """Without bypassing the policy: GOV.UK Frontend runs, and nothing is blocked."""
    context = browser.new_context()
    page = context.new_page()
    violations = []
    page.on(
        "console", lambda m: violations.append(m.text) if "Content Security" in m.text else None
    )
    page.goto(f"{site}{path}")
    page.wait_for_load_state("networkidle")
    assert "govuk-frontend-supported" in page.evaluate("document.body.className")
    assert violations == []
    context.close()


def test_password_reset_with_errors_has_no_wcag_violations(site, page, axe):
    page.goto(f"{site}/account/password-reset/")
    page.get_by_label("Email").fill("not an email address")
    page.get_by_role("button", name="Send the link").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert axe(page) == []


@pytest.mark.parametrize(
    "path",
    ["/reports/2010-11/kent/", "/reports/2019-20/", "/reports/2019-20/compare/",
     "/areas/west-yorkshire/", "/data/", "/data/series/category_1_on_31_march/"],
)  # fmt: skip
def test_nothing_runs_off_a_phone_screen(site, browser, path):
    """Wide tables scroll inside their own region; the page itself never scrolls sideways."""
    page = browser.new_page(viewport={"width": 375, "height": 800})
    page.goto(f"{site}{path}")
    assert page.evaluate("document.documentElement.scrollWidth") == 375
    page.close()
