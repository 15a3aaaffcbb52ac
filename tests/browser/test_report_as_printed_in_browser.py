"""The published report page against the two real 2010-11 reports (tests/seeds/), section by
section, and at a phone's width, on a wide screen and on paper."""

import difflib
import io

import pypdf
import pytest
from django.core.management import call_command

from tests.seed_reports import REPORTS, SECTIONS, expected_sections

pytestmark = pytest.mark.django_db(transaction=True)

#: A section's text as the browser lays it out, with what screen readers alone are told
#: (visually hidden, but part of the page's text: docs/report-fidelity.md declares it).
SECTION_TEXT = "section => section.innerText"


@pytest.fixture
def site(live_server):
    call_command("load_demo", verbosity=0)
    return live_server.url


def _words_diff(expected: str, shown: str) -> str:
    lines = difflib.unified_diff(expected.split(), shown.split(), "seed", "page", lineterm="")
    return "\n".join(lines)


@pytest.mark.parametrize("slug", REPORTS)
def test_report_reads_as_the_printed_report_section_by_section(site, page, slug):
    expected, _ = expected_sections(slug)
    page.goto(f"{site}/reports/2010-11/{slug}/")
    shown = {}
    for key in ["cover", *SECTIONS]:
        text = page.locator(f"[data-section='{key}']").evaluate(SECTION_TEXT)
        shown[key] = " ".join(text.split())
    for key, text in expected.items():
        assert shown[key] == text, f"{slug} {key}:\n{_words_diff(text, shown[key])}"


@pytest.mark.parametrize("slug", REPORTS)
@pytest.mark.parametrize("width", [320, 1100])
def test_report_page_has_no_wcag_violations(site, browser, axe, slug, width):
    page = browser.new_page(viewport={"width": width, "height": 900}, bypass_csp=True)
    page.goto(f"{site}/reports/2010-11/{slug}/")
    assert axe(page) == []
    page.close()


@pytest.mark.parametrize("width", [320, 375])
@pytest.mark.parametrize("slug", REPORTS)
def test_report_page_never_runs_off_a_phone_screen(site, browser, width, slug):
    page = browser.new_page(viewport={"width": width, "height": 800})
    page.goto(f"{site}/reports/2010-11/{slug}/")
    assert page.evaluate("document.documentElement.scrollWidth") == width
    # Tables wider than the screen scroll inside a region named by their caption, by keyboard.
    regions = page.locator(".app-table-scroll")
    assert regions.count() == 6
    for region in regions.all():
        assert region.get_attribute("role") == "region"
        assert region.get_attribute("tabindex") == "0"
        label = page.locator(f"#{region.get_attribute('aria-labelledby')}").text_content()
        assert label and label.strip()
    widest = page.locator("#table-eligible_offenders")
    assert widest.evaluate("t => t.scrollWidth > t.parentElement.clientWidth")
    page.close()


def _tops(page) -> list[float]:
    return page.locator(".app-signatories li").evaluate_all(
        "items => items.map(i => i.getBoundingClientRect().top)"
    )


def test_signatories_sit_side_by_side_on_a_wide_screen_and_stack_on_a_phone(site, browser):
    url = f"{site}/reports/2010-11/cambridgeshire-and-peterborough/"
    wide = browser.new_page(viewport={"width": 1100, "height": 900})
    wide.goto(url)
    tops = _tops(wide)
    assert len(tops) == 3 and len(set(tops)) == 1
    # Job titles line by line, as printed.
    adrian = wide.locator(".app-signatories li").nth(2).inner_text()
    assert adrian.splitlines() == [
        "Adrian Smith",
        "Regional Manager",
        "Custodial Services",
        "The Prison Service",
    ]
    wide.close()
    phone = browser.new_page(viewport={"width": 375, "height": 800})
    phone.goto(url)
    tops = _tops(phone)
    assert tops == sorted(tops) and len(set(tops)) == 3
    phone.close()


def test_strapline_and_sign_off_read_as_printed(site, page):
    page.goto(f"{site}/reports/2010-11/kent/")
    strapline = page.locator(".app-strapline")
    assert strapline.inner_text().splitlines() == ["Changing Lives", "Reducing Crime"]
    style = strapline.evaluate("e => [getComputedStyle(e).fontStyle, getComputedStyle(e).color]")
    assert style == ["italic", "rgb(11, 12, 12)"]  # GOV.UK's text colour, not link blue
    sign_off = page.locator(".app-sign-off")
    assert sign_off.inner_text().splitlines() == ["Kent", "Police"]
    assert sign_off.evaluate("e => getComputedStyle(e).fontWeight") == "700"
    total = page.locator("#table-eligible_offenders td.app-total").first
    assert total.evaluate("e => getComputedStyle(e).fontWeight") == "400"
    # What the portal adds is apart from the report's sections.
    aside = page.locator("aside.app-publication")
    assert aside.locator("[data-section]").count() == 0
    assert "Published" in aside.inner_text()


def test_on_paper_each_section_starts_a_page_and_rows_never_split(site, page):
    page.goto(f"{site}/reports/2010-11/kent/")
    page.emulate_media(media="print")
    for key in SECTIONS:
        section = page.locator(f"[data-section='{key}']")
        assert section.evaluate("e => getComputedStyle(e).breakBefore") == "page"
    row = page.locator("table.app-statistics-table tr").first
    assert row.evaluate("e => getComputedStyle(e).breakInside") == "avoid"
    assert page.locator(".app-strapline").evaluate("e => getComputedStyle(e).color") == (
        "rgb(0, 0, 0)"
    )
    assert page.locator("#downloads").evaluate("e => getComputedStyle(e).display") == "none"


@pytest.mark.parametrize("slug", REPORTS)
def test_chromium_prints_each_section_from_the_top_of_a_page(site, page, slug):
    page.goto(f"{site}/reports/2010-11/{slug}/")
    pdf = pypdf.PdfReader(io.BytesIO(page.pdf(format="A4")))
    texts = [" ".join(p.extract_text().split()) for p in pdf.pages]
    for heading in SECTIONS.values():
        assert sum(text.startswith(heading) for text in texts) == 1, (heading, texts)
    # The cover has the title and the publication date; after it, no blank or near-empty page.
    assert texts[0].startswith("Kent" if slug == "kent" else "Cambridgeshire and Peterborough")
    assert min(len(text) for text in texts[1:]) > 300, texts
