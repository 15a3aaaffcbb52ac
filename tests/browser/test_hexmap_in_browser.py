"""The national page's hex map in Chromium: accessible, on a phone and on a desktop, by
keyboard."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)

# The demo's 2019-20: 30 areas' past publications, most with a rate; the others hatched.
YEAR = "2019-20"


@pytest.fixture
def site(live_server):
    call_command("load_demo", verbosity=0)
    return live_server.url


@pytest.mark.parametrize("width", [320, 1100])
def test_the_map_is_accessible_and_fits_the_screen(site, browser, axe, screenshot, width):
    page = browser.new_page(viewport={"width": width, "height": 900}, bypass_csp=True)
    page.goto(f"{site}/reports/{YEAR}/")
    hexmap = page.locator("svg.app-hexmap__map")
    expect(hexmap).to_be_visible()
    assert page.locator("a.app-hexmap__area").count() == 42
    coloured = page.locator("polygon.app-hexmap__hex:not(.app-hexmap__band--none)").count()
    assert 0 < coloured < 42  # some areas with a rate, some without: both drawn
    assert page.evaluate("document.documentElement.scrollWidth") == width
    box = hexmap.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
    assert axe(page) == []
    screenshot(page, f"hexmap-{YEAR}-{width}")
    page.close()


def test_a_hexagon_is_reached_by_keyboard_shows_its_focus_and_opens_the_report(
    site, page, screenshot
):
    page.goto(f"{site}/reports/{YEAR}/")
    page.locator("a.app-hexmap__area").first.focus()
    page.keyboard.press("Tab")  # from the first hexagon to the second: Northumbria
    expect(page.locator("a.app-hexmap__area").nth(1)).to_be_focused()
    area = page.get_by_role("link", name="West Yorkshire: ")
    assert "per 100,000" in (area.get_attribute("aria-label") or "")
    area.focus()
    fill = area.locator("polygon").evaluate("p => getComputedStyle(p).fill")
    assert fill == "rgb(255, 221, 0)"  # GOV.UK focus yellow
    screenshot(page, f"hexmap-{YEAR}-focus")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{site}/reports/{YEAR}/west-yorkshire/")


def test_keyboard_users_can_skip_the_map_to_its_table(site, page, screenshot):
    page.goto(f"{site}/reports/{YEAR}/")
    skip = page.get_by_role("link", name="Skip the map to the table of the same figures")
    skip.focus()
    expect(skip).to_be_visible()
    screenshot(page, f"hexmap-{YEAR}-skip")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(page.locator("#hexmap-table a").first).to_be_focused()
