"""The whole public service on a narrow phone: nothing overflows, wide content scrolls in its
own labelled region, and axe-core finds no WCAG 2.2 AA violation on any page."""

import json

import pytest
from django.core.management import call_command
from django.test import Client, RequestFactory
from django.views.defaults import server_error

from reports.models import AnnualReport
from tests.conftest import signed_in
from tests.factories import make_report, make_user, open_year

pytestmark = pytest.mark.django_db(transaction=True)

PUBLIC_PAGES = {
    "home": "/",
    "national-2010-11": "/reports/2010-11/",
    "national-2019-20": "/reports/2019-20/",
    "national-2023-24": "/reports/2023-24/",
    "areas": "/areas/",
    "area": "/areas/west-yorkshire/",
    "report": "/reports/2010-11/kent/",
    "past-publication": "/reports/2019-20/west-yorkshire/",
    "revision": "/reports/2010-11/kent/revisions/1/",
    "compare": "/reports/2019-20/compare/",
    "releases": "/releases/",
    "data": "/data/",
    "series": "/data/series/category_1_on_31_march/",
    "api": "/api/v1/",
    "help": "/help/",
    "contact": "/contact/",
    "accessibility": "/accessibility/",
    "cookies": "/cookies/",
    "privacy": "/privacy/",
    "sign-in": "/account/sign-in/",
    "not-found": "/nope/",
}

#: Every element wider than the box it sits in must be inside a region that scrolls it:
#: role="region", a name, tabindex="0" (the GOV.UK pattern for wide tables). The page itself
#: must not be wider than the window.
OVERFLOW = """() => {
  const problems = [];
  if (document.documentElement.scrollWidth > window.innerWidth) {
    problems.push(`page is ${document.documentElement.scrollWidth}px wide`);
  }
  for (const wide of document.querySelectorAll('table, pre, svg')) {
    const box = wide.parentElement;
    if (wide.getBoundingClientRect().width <= box.clientWidth + 1) continue;
    const region = wide.closest('[role="region"]');
    if (!region || region.getAttribute('tabindex') !== '0'
        || !(region.getAttribute('aria-label') || region.getAttribute('aria-labelledby'))
        || getComputedStyle(region).overflowX !== 'auto') {
      problems.push(`${wide.tagName} ${wide.id || wide.className.baseVal || wide.className}`
                    + ' is wider than its box and not in a labelled, focusable scrolling region');
    }
  }
  return problems;
}"""


@pytest.fixture
def site(live_server):
    call_command("load_demo", verbosity=0)
    return live_server.url


@pytest.mark.parametrize("width", [320, 375])
def test_no_public_page_overflows_a_narrow_phone(site, page, axe, screenshot, width):
    page.set_viewport_size({"width": width, "height": 800})
    problems, violations = {}, {}
    for name, path in PUBLIC_PAGES.items():
        page.goto(f"{site}{path}")
        page.wait_for_load_state("load")
        if found := page.evaluate(OVERFLOW):
            problems[path] = found
        if width == 320 and (found := axe(page)):
            violations[path] = found
        if width == 375:
            screenshot(page, f"narrow-375-{name}")
    assert problems == {}, json.dumps(problems, indent=1)
    assert violations == {}, json.dumps(violations, indent=1)


@pytest.mark.parametrize(
    "path", ["/help/", "/contact/", "/accessibility/", "/cookies/", "/privacy/", "/api/v1/"]
)
def test_the_service_pages_have_no_wcag_violations(site, page, axe, path):
    page.goto(f"{site}{path}")
    assert page.locator(".govuk-footer__inline-list").is_visible()
    assert axe(page) == []


def test_signed_in_navigation_has_no_wcag_violations(site, browser, axe):
    make_user("nat@justice.example.gov.uk", national=True, first_name="Nat", last_name="Admin")
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.goto(f"{site}/account/sign-in/")
    page.get_by_label("Email address").fill("nat@justice.example.gov.uk")
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Sign in").click()
    current = page.locator(".govuk-service-navigation [aria-current]")
    assert current.inner_text() == "Your reports"
    assert page.get_by_role("link", name="Sign in").count() == 0
    assert axe(page) == []
    context.close()


def answer_with(body: bytes):
    """A route handler answering with `body`, as the page at the address asked for."""

    def fulfil(route):
        route.fulfill(status=200, body=body, content_type="text/html; charset=utf-8")

    return fulfil


def test_the_error_pages_are_govuk_pages_without_wcag_violations(site, page, axe, screenshot):
    """The 403 and 500 pages as Django makes them, shown at the site's address (so that its
    styles load) through the browser."""
    year = open_year(2030)
    make_report("kent", year=year, status=AnnualReport.Status.DRAFT)
    admin = signed_in(make_user("nat@justice.example.gov.uk", national=True))
    forbidden = admin.post("/manage/reports/2030-31/kent/check/", {"version": 1})
    assert forbidden.status_code == 403
    failed = server_error(RequestFactory().get("/"))
    for name, response in (("403", forbidden), ("500", failed)):
        page.route(f"{site}/error-{name}/", answer_with(response.content))
        page.goto(f"{site}/error-{name}/")
        assert "GDS Transport" in page.evaluate(
            "getComputedStyle(document.querySelector('h1')).fontFamily"
        )
        assert axe(page) == []
        screenshot(page, f"error-{name}")
    assert Client().get("/").status_code == 200
