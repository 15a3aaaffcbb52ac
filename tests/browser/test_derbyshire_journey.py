"""The staff journey end to end, in Chromium, on the demo's real published figures.

The national admin invites a Derbyshire coordinator, who sets a password and enters the
2025-26 return with a Category 1 figure that the calibrated change checks flag (a fall, in a
stock that rarely falls, from the 1,154 Derbyshire published for 2016-17). The coordinator
explains it and submits; the admin reads the warning, the explanation and the series, and
returns the report pointing at the cell; the coordinator sees the cell highlighted, puts the
mistyped figure right and resubmits; the admin approves and publishes, and every status says
"scheduled for release" until the release time. axe-core checks every page and state.
"""

import datetime
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from reports import workflow
from reports.models import ReportingYear
from reports.returns import CellRef
from tests.factories import consistent_figures, make_user

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "peak district passphrase"
REPORT = "/manage/reports/2025-26/derbyshire"
LEVEL_1_CAT_1 = CellRef("eligible_offenders", "level_1", "category_1")
CATEGORY_1 = "MAPPA-eligible offenders on 31 March: Total, Category 1: Registered sex offenders"
#: Level 1, Category 1 mistyped as 850 (for 1,350): the Category 1 total falls to 931.
MISTYPED, MEANT = 850, 1350


@pytest.fixture
def site(live_server):
    call_command("load_demo", verbosity=0)
    make_user("nat@justice.example.gov.uk", national=True, first_name="Nat", last_name="Admin")
    return live_server.url


def sign_in(page, site, email, password=PASSWORD):
    page.goto(f"{site}/account/sign-in/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).to_have_text("Your reports")


def enter_table(page, site, table, figures):
    """Type a table's figures into its page, as a coordinator would, and save it."""
    page.goto(f"{site}{REPORT}/tables/{table}/")
    for ref, value in figures.items():
        if ref.table == table:
            page.locator(f"input[name='cell__{ref.row}__{ref.column}']").fill(str(value.value))
    page.get_by_role("button", name="Save and return to the report").click()
    expect(page.locator(".govuk-notification-banner--success")).to_be_visible()


def test_derbyshire_coordinator_is_invited_flagged_returned_and_approved(
    site, browser, axe, screenshot
):
    admin = browser.new_context(bypass_csp=True).new_page()
    sign_in(admin, site, "nat@justice.example.gov.uk")

    # The admin invites the Derbyshire coordinator, who sets a password from the email.
    admin.goto(f"{site}/manage/accounts/invite/")
    admin.get_by_label("First name").fill("Dee")
    admin.get_by_label("Last name").fill("Byshire")
    admin.get_by_label("Email address").fill("dee@derbyshire.example.gov.uk")
    admin.get_by_label("Derbyshire").check()
    admin.get_by_role("button", name="Send the invitation").click()
    expect(admin.locator(".govuk-notification-banner--success")).to_contain_text(
        "Dee Byshire has been invited."
    )
    [invitation] = mail.outbox
    link = re.search(r"https?://\S+(/account/invitation/\S+/)", invitation.body).group(1)
    coordinator = browser.new_context(bypass_csp=True).new_page()
    coordinator.goto(f"{site}{link}")
    coordinator.get_by_label("Create a password").fill(NEW_PASSWORD)
    coordinator.get_by_label("Confirm your password").fill(NEW_PASSWORD)
    coordinator.get_by_role("button", name="Save your password").click()
    sign_in(coordinator, site, "dee@derbyshire.example.gov.uk", NEW_PASSWORD)

    # The coordinator starts the 2025-26 report and enters it, one page at a time.
    coordinator.get_by_role("link", name="Start the Derbyshire 2025-26 report").click()
    coordinator.get_by_role("button", name="Start the report").click()
    expect(coordinator.locator(".govuk-task-list")).to_be_visible()
    template = ReportingYear.objects.get(start_year=2025).template
    figures = consistent_figures(
        template,
        seed=3,
        overrides={
            LEVEL_1_CAT_1: MISTYPED,
            CellRef("rso_breaches", "rsos", "number"): 15,
            CellRef("rso_rate", "per_100000", "number"): 140,
        },
    )
    for table in template.tables:
        enter_table(coordinator, site, table.key, figures)
    coordinator.goto(f"{site}{REPORT}/introduction/")
    coordinator.get_by_label("Text", exact=True).fill("Derbyshire MAPPA worked as one in 2025-26.")
    coordinator.get_by_role("button", name="Save and return to the report").click()
    coordinator.goto(f"{site}{REPORT}/local-page/")
    coordinator.get_by_label("Text", exact=True).fill("Our year in Derbyshire.")
    coordinator.get_by_role("button", name="Save and return to the report").click()

    # The calibrated check flags the Category 1 total; it is explained, then submitted.
    coordinator.goto(f"{site}{REPORT}/check/")
    expect(coordinator.locator(".govuk-summary-card")).to_have_count(1)
    card = coordinator.locator(".govuk-summary-card")
    expect(card).to_contain_text("fell 19% in 9 years (from 1,154 in 2016-17 to 931)")
    expect(card).to_contain_text("rarely falls")
    assert axe(coordinator) == [], "check page with the flagged figure"
    screenshot(coordinator, "derbyshire-flagged")
    expect(coordinator.get_by_role("button", name="Submit the report")).to_have_count(0)
    expect(coordinator.locator("main")).to_contain_text(
        "You can submit the report once every figure to check is explained."
    )
    coordinator.get_by_role("link", name=re.compile(r"^Explain .*Category 1")).click()
    coordinator.get_by_label("Why did this figure change like this?").fill(
        "Fewer registrations after the court backlog."
    )
    coordinator.get_by_role("button", name="Save the explanation").click()
    coordinator.get_by_role("button", name="Submit the report").click()
    expect(coordinator.locator(".govuk-panel__title")).to_have_text("Report submitted")
    assert axe(coordinator) == [], "submitted panel"

    # The admin sees the warning, the explanation and the series, and returns it at the cell.
    admin.goto(f"{site}{REPORT}/review/")
    expect(admin.locator("#figures-to-check")).to_be_visible()
    expect(admin.locator(".govuk-summary-card")).to_contain_text("rarely falls")
    admin.get_by_text("Fewer registrations after the court backlog.").wait_for()
    expect(admin.locator("main")).to_contain_text("1,154")  # 2016-17 in the area's series
    assert axe(admin) == [], "review page with the flagged figure"
    screenshot(admin, "derbyshire-review")
    admin.get_by_label("What should the coordinator put right?").fill("Category 1 looks too low.")
    admin.get_by_label("Point 1: section or cell").select_option(label=CATEGORY_1)
    admin.get_by_label("Point 1: what to look at").fill("Check Level 1: it may be mistyped.")
    admin.get_by_role("button", name="Return to coordinator").click()
    expect(admin.locator(".govuk-notification-banner--success")).to_contain_text("returned")

    # The coordinator follows the link to the highlighted cell and puts the figure right.
    coordinator.goto(f"{site}{REPORT}/")
    banner = coordinator.locator(".govuk-notification-banner", has_text="Returned to you")
    expect(banner).to_contain_text("Category 1 looks too low.")
    expect(banner).to_contain_text("Check Level 1: it may be mistyped.")
    task = coordinator.locator(".govuk-task-list__item", has_text="MAPPA-eligible offenders")
    expect(task).to_contain_text("In progress")
    assert axe(coordinator) == [], "task list of a returned report"
    banner.get_by_role("link", name=CATEGORY_1).click()
    expect(coordinator.locator("#returned")).to_contain_text("Check Level 1")
    expect(coordinator.locator("td.app-pointed")).to_contain_text(
        "To check: Check Level 1: it may be mistyped."
    )
    expect(coordinator.locator("td.app-pointed input")).to_have_value("931")
    assert axe(coordinator) == [], "table with the highlighted cell"
    screenshot(coordinator, "derbyshire-highlighted")
    raised = MEANT - MISTYPED
    for name in ("level_1__category_1", "level_1__total", "total__category_1", "total__total"):
        cell = coordinator.locator(f"input[name='cell__{name}']")
        cell.fill(str(int(cell.input_value()) + raised))
    coordinator.get_by_role("button", name="Save and check the report").click()
    expect(coordinator.locator(".govuk-summary-card")).to_have_count(0)
    expect(coordinator.locator("#pointed-list")).to_contain_text("Changed")
    assert axe(coordinator) == [], "check page listing what was pointed at"
    coordinator.get_by_role("button", name="Submit the report").click()
    expect(coordinator.locator(".govuk-panel__title")).to_have_text("Report submitted")

    # The admin sees the cell changed, approves and publishes; it is scheduled, not public.
    admin.goto(f"{site}{REPORT}/review/")
    expect(admin.locator("#last-return + ul")).to_contain_text("Changed")
    admin.get_by_role("button", name="Approve", exact=True).click()
    assert axe(admin) == [], "approval confirmation"
    admin.get_by_role("button", name="Yes, approve the report").click()
    status = admin.locator("#report-status")
    expect(status).to_contain_text("Approved, scheduled for release on")
    admin.get_by_role("button", name="Publish", exact=True).click()
    admin.get_by_role("button", name="Yes, publish the report").click()
    expect(status).to_have_text(re.compile(r"Approved, scheduled for release on .* at 09:30"))
    coordinator.goto(f"{site}{REPORT}/")
    expect(coordinator.locator("#report-status")).to_contain_text("scheduled for release")
    public = browser.new_context().new_page()
    assert public.goto(f"{site}/reports/2025-26/derbyshire/").status == 404

    # The national team brings the release forward to a few seconds from now: the report
    # stays "scheduled" until that moment, then is published, and says so.
    release_at = timezone.now() + datetime.timedelta(seconds=3)
    workflow.set_release_time(ReportingYear.objects.get(start_year=2025), release_at)
    coordinator.reload()
    expect(coordinator.locator("#report-status")).to_contain_text("scheduled for release")
    coordinator.wait_for_timeout((release_at - timezone.now()).total_seconds() * 1000 + 500)
    coordinator.reload()
    expect(coordinator.locator("#report-status")).to_have_text("Published")
    assert public.goto(f"{site}/reports/2025-26/derbyshire/").status == 200
    expect(public.locator("main")).to_contain_text("1431")  # as areas print figures
