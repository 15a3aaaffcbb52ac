"""A complete GOV.UK service: the footer's pages, navigation that says where you are,
breadcrumbs, helpful error pages, the API's page for people, and notes only where they apply."""

import re

import pytest
from django.conf import settings
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse
from django.views.defaults import server_error

from reports.api import api
from reports.models import AnnualReport
from reports.returns.cells import CellRef, CellStatus, CellValue
from tests.conftest import signed_in
from tests.factories import consistent_figures, make_report, make_user, make_year, open_year

FOOTER = {
    "reports:help": "Help for staff",
    "reports:contact": "Contact",
    "reports:accessibility": "Accessibility statement",
    "reports:cookies": "Cookies",
    "reports:privacy": "Privacy notice",
}


def page(client: Client, url: str) -> str:
    """The page at `url` as a browser asks for it."""
    response = client.get(url, HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
    assert response.status_code == 200, url
    return response.content.decode()


def nav_item(html: str, label: str) -> str:
    """The service navigation's link for `label`, as written."""
    match = re.search(
        rf'<a class="govuk-service-navigation__link"[^>]*>(<strong[^>]*>)?{label}<', html
    )
    assert match, label
    return match.group(0)


@pytest.mark.django_db
def test_every_page_footer_links_to_the_service_pages(client):
    html = page(client, "/")
    footer = html[html.index('<footer class="govuk-footer">') :]
    assert "govuk-footer__inline-list" in footer
    for name, title in FOOTER.items():
        assert f'href="{reverse(name)}">{title}</a>' in footer


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "title"), FOOTER.items())
def test_each_footer_page_is_a_public_govuk_page(client, name, title):
    html = page(client, reverse(name))
    assert f'<h1 class="govuk-heading-xl">{title}</h1>' in html
    assert f"<title>{title} – MAPPA Portal</title>" in html
    assert 'aria-current="page">' + title in html  # its breadcrumb


@pytest.mark.django_db
def test_phase_banner_feedback_link_goes_to_the_contact_pages_feedback_section(client):
    html = page(client, "/areas/")
    banner = html[html.index("govuk-phase-banner") : html.index("</main>")]
    assert f'href="{reverse("reports:contact")}#feedback">feedback</a>' in banner
    assert 'id="feedback"' in page(client, reverse("reports:contact"))


@pytest.mark.django_db
@override_settings(SERVICE_CONTACT_EMAIL="mappa-team@justice.example.gov.uk")
@pytest.mark.parametrize("name", ["reports:contact", "reports:accessibility", "reports:privacy"])
def test_the_pages_give_the_configured_mailbox(client, name):
    assert 'href="mailto:mappa-team@justice.example.gov.uk' in page(client, reverse(name))


@pytest.mark.django_db
def test_accessibility_statement_says_how_it_was_tested_and_how_to_complain(client):
    html = page(client, reverse("reports:accessibility"))
    for text in (
        "Web Content Accessibility Guidelines version 2.2",
        "axe-core",
        "using only a keyboard",
        "320 and 375 pixels wide",
        "Parts of this service we have not tested",
        "Equality and Human Rights Commission",
        "Equality Advisory and Support Service",
    ):
        assert text in html


@pytest.mark.django_db
def test_cookies_page_lists_the_cookies_the_service_sets(client, kent_coordinator):
    html = page(client, reverse("reports:cookies"))
    sign_in = Client().get(reverse("accounts:sign-in"))
    signed = signed_in(kent_coordinator)
    signed.get("/manage/")
    set_by_the_service = set(sign_in.cookies) | set(signed.cookies)
    assert set_by_the_service == {settings.CSRF_COOKIE_NAME, settings.SESSION_COOKIE_NAME}
    for name in (*set_by_the_service, "messages"):
        assert f"<code>{name}</code>" in html
    assert f"After {settings.SESSION_COOKIE_AGE // 60} minutes without using" in html
    assert "does not set any cookies" in html


@pytest.mark.django_db
def test_reading_the_public_pages_sets_no_cookies(client):
    year = make_year(2010)
    make_report("kent", year=year)
    for url in [
        "/",
        "/reports/2010-11/",
        "/reports/2010-11/kent/",
        "/reports/2010-11/compare/",
        "/areas/",
        "/areas/kent/",
        "/data/",
        "/releases/",
        "/reports/2010-11/kent/figures.csv",
        "/api/v1/",
        *(reverse(name) for name in FOOTER),
    ]:
        response = client.get(url, HTTP_ACCEPT="text/html")
        assert response.status_code == 200, url
        assert not response.cookies, url


@pytest.mark.django_db
def test_privacy_notice_says_release_alert_addresses_are_used_for_nothing_else(client):
    html = page(client, reverse("reports:privacy"))
    alerts = html[html.index('id="release-alerts"') :]
    alerts = alerts[: alerts.index("</p>")]
    assert "we keep your email address" in alerts
    assert "only to send you those updates: never for anything else" in alerts
    for heading in ("Our lawful basis", "How long we keep it", "Your rights", "Complaints"):
        assert heading in html
    assert "Information Commissioner" in html


# --- Navigation and breadcrumbs -----------------------------------------------------------


@pytest.mark.django_db
def test_navigation_marks_the_page_you_are_on(client):
    html = page(client, "/areas/")
    assert 'aria-current="page"' in nav_item(html, "Areas")
    assert "aria-current" not in nav_item(html, "Data")
    assert "govuk-service-navigation__item--active" in html


@pytest.mark.django_db
def test_navigation_marks_the_section_of_a_page_within_it(client):
    year = make_year(2010)
    make_report("kent", year=year)
    assert 'aria-current="true"' in nav_item(page(client, "/areas/kent/"), "Areas")
    assert 'aria-current="true"' in nav_item(page(client, "/api/v1/"), "Data")
    assert 'aria-current="page"' in nav_item(page(client, "/data/"), "Data")


@pytest.mark.django_db
def test_the_home_page_marks_no_navigation_item(client):
    nav = page(client, "/").split('<nav aria-label="Menu"')[1].split("</nav>")[0]
    assert "aria-current" not in nav


@pytest.mark.django_db
def test_signed_out_people_are_offered_sign_in_and_signed_in_people_are_not(
    client, kent_coordinator
):
    assert 'href="/account/sign-in/">Sign in</a>' in page(client, "/areas/")
    html = page(signed_in(kent_coordinator), "/manage/")
    assert ">Sign in</a>" not in html
    assert 'aria-current="page"' in nav_item(html, "Your reports")


@pytest.mark.django_db
def test_sign_in_page_marks_sign_in_as_current(client):
    html = page(client, "/account/sign-in/")
    assert 'aria-current="page"' in nav_item(html, "Sign in")


@pytest.mark.django_db
def test_report_breadcrumbs_run_home_year_area_report(client):
    year = make_year(2010)
    make_report("kent", year=year)
    response = client.get("/reports/2010-11/kent/")
    assert response.context["breadcrumbs"] == [
        ("MAPPA Portal", "/"),
        ("2010-11", "/reports/2010-11/"),
        ("Kent", "/areas/kent/"),
        ("2010-11 report", ""),
    ]


@pytest.mark.django_db
def test_revision_breadcrumbs_link_the_report_and_end_at_the_revision(client):
    year = make_year(2010)
    make_report("kent", year=year)
    response = client.get("/reports/2010-11/kent/revisions/1/")
    assert response.context["breadcrumbs"][-2:] == [
        ("2010-11 report", "/reports/2010-11/kent/"),
        ("Revision 1", ""),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "trail"),
    [
        ("/areas/kent/", ["/", "/areas/"]),
        ("/reports/2010-11/compare/", ["/", "/reports/2010-11/"]),
        ("/data/series/category_1_on_31_march/", ["/", "/data/#series"]),
        ("/areas/", ["/"]),
        ("/releases/", ["/"]),
        ("/data/", ["/"]),
    ],
)
def test_public_pages_breadcrumbs_link_each_level_above(client, url, trail):
    year = make_year(2010)
    make_report("kent", year=year)
    html = page(client, url)
    nav = html.split('<nav class="govuk-breadcrumbs" aria-label="Breadcrumb">')[1].split("</nav>")[
        0
    ]
    assert re.findall(r'class="govuk-breadcrumbs__link" href="([^"]+)"', nav) == trail
    assert nav.count('aria-current="page"') == 1


# --- Error pages ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_national_admin_submitting_a_report_gets_the_styled_403(client):
    year = open_year(2010)
    make_report("kent", year=year, status=AnnualReport.Status.DRAFT)
    admin = signed_in(make_user("nat@justice.example.gov.uk", national=True))
    response = admin.post("/manage/reports/2010-11/kent/check/", {"version": 1})
    assert response.status_code == 403
    html = response.content.decode()
    assert "govuk-header" in html
    assert '<h1 class="govuk-heading-l">You do not have permission to do this</h1>' in html
    assert "“Submit” is for the area" in html
    assert "Nothing was changed." in html
    assert f'href="{reverse("reports:contact")}">contact the national team</a>' in html
    assert AnnualReport.objects.get().status == AnnualReport.Status.DRAFT


def test_the_500_page_is_a_govuk_page_made_without_a_request_context_or_database():
    # No database marker: any query here would fail the test.
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    html = response.content.decode()
    assert "govuk-header" in html and "govuk-footer" in html
    assert '<h1 class="govuk-heading-l">Sorry, there is a problem with the service</h1>' in html
    assert f'href="{reverse("reports:contact")}">contact the national team</a>' in html


@pytest.mark.django_db
def test_a_view_that_fails_gets_the_styled_500(monkeypatch):
    from reports.views import about

    def broken(*args, **kwargs):
        raise RuntimeError("a fault")

    monkeypatch.setattr(about, "render", broken)
    response = Client(raise_request_exception=False).get(reverse("reports:cookies"))
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.content.decode()


# --- The API's page for people -------------------------------------------------------------


@pytest.mark.django_db
def test_the_api_answers_a_browser_with_a_page_about_it(client):
    response = client.get("/api/v1/", HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "Accept" in response["Vary"]
    html = response.content.decode()
    assert '<h1 class="govuk-heading-xl">The MAPPA Portal API</h1>' in html
    assert 'href="/api/v1/openapi.json"' in html
    for path in api.get_openapi_schema()["paths"]:
        assert f'<code class="app-code-inline">{path}</code>' in html
    assert "GET /api/v1/reports/2010-11/kent" in html


@pytest.mark.django_db
@pytest.mark.parametrize("accept", ["application/json", "*/*", None, "text/html;q=0"])
def test_api_clients_still_get_404_at_the_api_root(client, accept):
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    response = client.get("/api/v1/", **headers)
    assert response.status_code == 404
    # A shared cache must not give this answer to a browser, nor the guide to a program.
    assert "Accept" in response["Vary"]


@pytest.mark.django_db
def test_a_kept_guide_is_never_served_to_an_api_client(client):
    assert client.get("/api/v1/", HTTP_ACCEPT="text/html").status_code == 200
    assert client.get("/api/v1/", HTTP_ACCEPT="text/html").status_code == 200  # kept
    assert client.get("/api/v1/", HTTP_ACCEPT="application/json").status_code == 404


@pytest.mark.django_db
def test_the_openapi_document_is_still_served(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert "/api/v1/reports/{year}/{area}" in response.json()["paths"]


@pytest.mark.django_db
def test_the_examples_on_the_api_page_are_what_the_api_answers(client):
    """The page's example of Kent's first figure is Kent's real first figure's shape."""
    year = make_year(2010)
    make_report("kent", year=year)
    figure = client.get("/api/v1/reports/2010-11/kent").json()["figures"][0]
    html = page(client, "/api/v1/")
    for key in figure:
        assert f"&quot;{key}&quot;:" in html or f'"{key}":' in html
    assert client.get("/api/v1/reports/2010-11/atlantis").json() == {
        "detail": "No published 2010-11 report for “atlantis”."
    }
    assert "No published 2010-11 report for “atlantis”." in html


# --- Notes only where their marker is -----------------------------------------------------


@pytest.mark.django_db
def test_national_summary_explains_x_only_when_a_figure_is_x(client):
    make_report("kent", year=make_year(2010))
    assert "[x]" not in page(client, "/reports/2010-11/")
    year = make_year(2011)
    values = consistent_figures(year.template, 2)
    values[CellRef("rso_breaches", "rsos", "number")] = CellValue(CellStatus.NOT_AVAILABLE)
    make_report("kent", year=year, figures=values)
    assert "[x] means not available" in page(client, "/reports/2011-12/")


@pytest.mark.django_db
def test_national_rate_note_is_a_sentence(client):
    year = make_year(2010)
    make_report("kent", year=year, population_estimate=1_000_000)
    html = page(client, "/reports/2010-11/")
    note = re.search(r'app-statistics-note">\s*(.*?)\s*</p>', html, re.S).group(1)
    note = " ".join(note.split())
    assert re.fullmatch(
        r"The rate is worked out over the one area that gave both figures: [\d,]+ registered "
        r"sex offenders in a combined population of 1,000,000 people aged ten and over\. It is "
        r"not an average of the areas' rates\.",
        note,
    ), note


@pytest.mark.django_db
def test_area_page_explains_only_the_markers_it_shows(client):
    year = make_year(2010)
    make_report("kent", year=year)
    html = page(client, "/areas/kent/")
    assert "[b] marks a break in series" not in html
    assert "[x] means not available" not in html
