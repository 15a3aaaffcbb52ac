"""A Kent coordinator enters and submits the 2010-11 return in Chromium, as a person would."""

import csv
from pathlib import Path

import pytest
from playwright.sync_api import expect

from reports.models import AnnualReport
from tests.factories import make_user, open_year
from tests.seed_statistics import seed_figures

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"


def kent_figures() -> dict[str, dict[str, str]]:
    """Kent's 2010-11 figures by table, as form field name → what a person would type."""
    tables: dict[str, dict[str, str]] = {}
    with open(ROOT / "reports" / "demo" / "figures-2010-11.csv", encoding="utf-8") as file:
        for row in csv.DictReader(file):
            if row["area"] == "kent" and row["value"] != "[z]":
                name = f"cell__{row['row']}__{row['column']}"
                tables.setdefault(row["table"], {})[name] = row["value"]
    return tables


@pytest.fixture
def coordinator_site(live_server):
    open_year(2010)
    make_user("kim@kent.example.gov.uk", areas=("kent",), first_name="Kim", last_name="Lee")
    return live_server.url


def sign_in(page, site):
    page.goto(f"{site}/manage/")
    page.get_by_label("Email address").fill("kim@kent.example.gov.uk")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_coordinator_enters_kent_2010_11_with_one_wrong_total_then_submits(
    coordinator_site, page, axe, screenshot
):
    site = coordinator_site
    sign_in(page, site)
    expect(page.locator("h1")).to_have_text("Your reports")
    page.get_by_role("link", name="Start the Kent 2010-11 report").click()
    page.get_by_role("button", name="Start the report").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "You started the Kent report for 2010-11."
    )

    figures = kent_figures()
    for table, cells in figures.items():
        page.goto(f"{site}/manage/reports/2010-11/kent/tables/{table}/")
        typed = dict(cells)
        if table == "eligible_offenders":
            typed["cell__level_1__total"] = "1535"  # one wrong total
        for name, value in typed.items():
            page.locator(f"input[name='{name}']").fill(value)
        page.get_by_role("button", name="Save and return to the report").click()
        if table == "eligible_offenders":
            summary = page.locator(".govuk-error-summary")
            expect(summary).to_be_visible()
            message = (
                "MAPPA-eligible offenders on 31 March: Level 1 total is 1,535 but "
                "Category 1 (1,185) + Category 2 (349) = 1,534."
            )
            assert message in summary.inner_text()
            assert page.title().startswith("Error: ")
            assert axe(page) == []
            screenshot(page, "coordinator-table-with-error")
            # The summary links to the total, which keeps what was typed.
            summary.get_by_role("link").click()
            total = page.locator("input[name='cell__level_1__total']")
            expect(total).to_be_focused()
            total.fill("1534")
            page.get_by_role("button", name="Save and return to the report").click()
        expect(page.locator(".govuk-notification-banner--success")).to_be_visible()

    page.goto(f"{site}/manage/reports/2010-11/kent/introduction/")
    page.get_by_label("Text").fill("We are pleased to present our MAPPA Report for 2010/11.")
    page.get_by_role("button", name="Save and return to the report").click()
    page.goto(f"{site}/manage/reports/2010-11/kent/local-page/")
    page.get_by_label("Text").fill("Kent MAPPA has continued to provide rigorous management.")
    page.get_by_role("button", name="Save and check the report").click()

    expect(page.locator("h1")).to_have_text("Check the report before you submit it")
    assert axe(page) == []
    page.get_by_role("button", name="Submit the report").click()
    expect(page.locator(".govuk-panel")).to_contain_text("Report submitted")
    assert axe(page) == []

    report = AnnualReport.objects.get(area__slug="kent", year__start_year=2010)
    assert report.status == AnnualReport.Status.SUBMITTED
    order = [ref for ref, _ in report.template.cells()]
    stored = sorted(report.cell_values().items(), key=lambda item: order.index(item[0]))
    assert [value.display() for _, value in stored] == [
        cell for table in seed_figures("kent") for cell in table
    ]


def test_back_office_pages_have_no_wcag_violations_even_with_errors(coordinator_site, page, axe):
    site = coordinator_site
    page.goto(f"{site}/account/sign-in/")
    page.get_by_role("button", name="Sign in").click()  # empty: errors shown
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert axe(page) == [], "sign-in with errors"
    sign_in(page, site)
    expect(page.locator("h1")).to_have_text("Your reports")
    assert axe(page) == [], "dashboard"
    page.goto(f"{site}/manage/reports/2010-11/kent/start/")
    assert axe(page) == [], "start"
    page.get_by_role("button", name="Start the report").click()
    expect(page.locator(".govuk-task-list")).to_be_visible()
    assert axe(page) == [], "task list"
    report_url = f"{site}/manage/reports/2010-11/kent"
    for path in [
        "/tables/eligible_offenders/",
        "/tables/returns_to_custody/",
        "/tables/rso_rate/",
        "/introduction/",
        "/local-page/",
        "/signatories/",
        "/check/",
        "/history/",
    ]:
        page.goto(report_url + path)
        assert axe(page) == [], path
    page.goto(report_url + "/tables/rso_rate/")
    page.locator("input[name='cell__per_100000__number']").fill("lots")
    page.get_by_label("Population estimate (optional)").fill("many")
    page.get_by_role("button", name="Save and return to the report").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert axe(page) == [], "rate with errors"
    page.goto(report_url + "/signatories/")
    page.get_by_label("Organisation").fill("Kent Police")
    page.get_by_role("button", name="Save and return to the report").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert axe(page) == [], "signatories with errors"
