"""Returns that point at cells and sections, and corrections that reopen only some sections."""

import datetime
import re

import pytest
from django.utils import timezone

from reports import workflow
from reports.models import AnnualReport, ReturnPointer
from reports.returns import CellRef
from tests.factories import make_report, open_year

pytestmark = pytest.mark.django_db
Status = AnnualReport.Status
REPORT = "/manage/reports/2010-11/kent"
BREACHES = CellRef("rso_breaches", "rsos", "number")


def submitted_report():
    year = open_year(2010, release_at=timezone.now() + datetime.timedelta(days=30))
    return make_report("kent", year=year, status=Status.SUBMITTED)


def return_with(national, report, *pointers, comment="Please look again."):
    data = {
        "return-version": report.version,
        "return-comment": comment,
        "pointers-TOTAL_FORMS": str(len(pointers)),
        "pointers-INITIAL_FORMS": "0",
    }
    for n, (target, text) in enumerate(pointers):
        data[f"pointers-{n}-target"] = target
        data[f"pointers-{n}-comment"] = text
    return national.post(f"{REPORT}/actions/return/", data)


def test_a_return_points_at_a_cell_and_a_section_each_with_its_comment(national):
    report = submitted_report()
    response = return_with(
        national,
        report,
        (str(BREACHES), "Lower than every year since 2005."),
        ("local-page", "Name the new chair."),
    )
    assert response.status_code == 302
    pointers = list(ReturnPointer.objects.order_by("pk"))
    assert [(p.section, p.cell, p.comment) for p in pointers] == [
        ("rso_breaches", str(BREACHES), "Lower than every year since 2005."),
        ("local-page", "", "Name the new chair."),
    ]
    assert pointers[0].event.action == "return"


def test_the_table_page_highlights_the_cell_with_the_comment_linked_from_a_summary(national, kent):
    report = submitted_report()
    return_with(national, report, (str(BREACHES), "Lower than every year since 2005."))
    page = kent.get(f"{REPORT}/tables/rso_breaches/").content.decode()
    assert 'id="returned"' in page
    assert (
        '<a href="#id_cell__rsos__number">RSOs cautioned or convicted for breach of '
        "notification requirements: RSOs cautioned or convicted: Lower than every year "
        "since 2005.</a>"
    ) in page
    # Beside the cell, in words (not colour alone), and read out with its input.
    assert 'class="govuk-table__cell govuk-table__cell--numeric app-pointed"' in page
    assert (
        '<p class="app-pointer-message" id="id_cell__rsos__number-returned">To check: '
        "Lower than every year since 2005.</p>"
    ) in page
    assert 'aria-describedby="id_cell__rsos__number-returned ' in page
    # Other tables are not highlighted.
    other = kent.get(f"{REPORT}/tables/eligible_offenders/").content.decode()
    assert "app-pointed" not in other
    assert 'id="returned"' not in other


def test_the_task_list_links_the_pointers_and_puts_their_sections_back_in_progress(national, kent):
    report = submitted_report()
    return_with(
        national,
        report,
        (str(BREACHES), "Check the breaches."),
        ("introduction", "Say who chairs the board."),
    )
    page = kent.get(f"{REPORT}/").content.decode()
    assert f'href="{REPORT}/tables/rso_breaches/#id_cell__rsos__number"' in page
    assert f'href="{REPORT}/introduction/#returned"' in page
    response = kent.get(f"{REPORT}/")
    tasks = {t["section"].slug: t for t in response.context["tasks"]}
    assert tasks["rso_breaches"]["status"] == "In progress"
    assert tasks["introduction"]["status"] == "In progress"
    assert tasks["eligible_offenders"]["status"] == "Completed"
    assert "Returned: 1 thing to look at" in page


def test_changing_the_cell_completes_the_section_and_resubmitting_resolves_the_pointer(
    national, kent
):
    report = submitted_report()
    return_with(national, report, (str(BREACHES), "Check the breaches."))
    report.refresh_from_db()
    old = report.cell_values()[BREACHES].value
    kent.post(
        f"{REPORT}/tables/rso_breaches/",
        {"version": report.version, "cell__rsos__number": str(old + 1)},
    )
    tasks = {t["section"].slug: t for t in kent.get(f"{REPORT}/").context["tasks"]}
    assert tasks["rso_breaches"]["status"] == "Completed"
    report.refresh_from_db()
    response = kent.post(f"{REPORT}/check/", {"version": report.version})
    assert response["Location"] == f"{REPORT}/submitted/"
    pointer = ReturnPointer.objects.get()
    assert pointer.resolved_by is not None and pointer.resolved_by.action == "submit"
    assert pointer.changed is True
    # Kept in history: the reviewer sees it was acted on; the coordinator sees no highlight.
    review = national.get(f"{REPORT}/review/").content.decode()
    assert "What your last return pointed at" in review
    assert '<strong class="govuk-tag govuk-tag--green">Changed</strong>' in review


def test_a_pointer_left_unchanged_is_resolved_as_not_changed(national, kent):
    report = submitted_report()
    return_with(national, report, ("local-page", "Name the new chair."))
    report.refresh_from_db()
    kent.post(f"{REPORT}/check/", {"version": report.version})
    pointer = ReturnPointer.objects.get()
    assert (pointer.resolved_by is not None, pointer.changed) == (True, False)
    review = national.get(f"{REPORT}/review/").content.decode()
    assert "Not changed</strong>" in review


def test_the_check_page_lists_what_was_pointed_at_and_warns_of_what_is_unchanged(national, kent):
    report = submitted_report()
    return_with(
        national,
        report,
        (str(BREACHES), "Check the breaches."),
        ("local-page", "Name the new chair."),
    )
    report.refresh_from_db()
    old = report.cell_values()[BREACHES].value
    kent.post(
        f"{REPORT}/tables/rso_breaches/",
        {"version": report.version, "cell__rsos__number": str(old + 1)},
    )
    html = kent.get(f"{REPORT}/check/").content.decode()
    assert "What the national team asked you to look at" in html
    assert "Check the breaches." in html and "Name the new chair." in html
    assert html.count('govuk-tag--green">Changed') == 1
    assert html.count('govuk-tag--orange">Not changed') == 1
    assert "You have not changed 1 of the 2 things the national team pointed at." in html


@pytest.mark.parametrize(
    ("pointer", "message"),
    [
        ((str(BREACHES), ""), "Say what the coordinator should look at there."),
        (("", "A comment about nothing"), "Choose the section or cell the comment is about."),
        (("no.such.cell", "Hm"), "Select a valid choice."),
    ],
)
def test_a_half_filled_pointer_is_refused_with_a_clear_message(national, pointer, message):
    report = submitted_report()
    response = return_with(national, report, pointer)
    assert response.status_code == 200
    assert message in response.content.decode()
    report.refresh_from_db()
    assert report.status == Status.SUBMITTED
    assert not ReturnPointer.objects.exists()


def test_add_another_point_keeps_what_was_entered_and_makes_no_move(national):
    report = submitted_report()
    response = national.post(
        f"{REPORT}/actions/return/",
        {
            "return-version": report.version,
            "return-comment": "Draft comment",
            "pointers-TOTAL_FORMS": "2",
            "pointers-INITIAL_FORMS": "0",
            "pointers-0-target": str(BREACHES),
            "pointers-0-comment": "First",
            "add_pointer": "1",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Point 3: section or cell" in page
    assert "Draft comment</textarea>" in page and "First</textarea>" in page
    report.refresh_from_db()
    assert report.status == Status.SUBMITTED


# --- Corrections that reopen only some sections ---------------------------------------------


@pytest.fixture
def corrected(national_admin):
    """Kent 2010-11, published, reopened for a correction of the breaches table only."""
    year = open_year(2010, release_at=timezone.now() - datetime.timedelta(days=1))
    year.is_open = False
    year.save()
    report = make_report("kent", year=year, status=Status.APPROVED)
    workflow.perform(report, "publish", national_admin, report.version)
    workflow.perform(
        report, "reopen", national_admin, report.version, "Breaches were miscounted.",
        reopen=["rso_breaches"],
    )  # fmt: skip
    report.refresh_from_db()
    return report


def test_a_correction_reopens_only_the_sections_named(corrected, kent):
    page = kent.get(f"{REPORT}/").content.decode()
    assert f'href="{REPORT}/tables/rso_breaches/"' in page
    assert f'href="{REPORT}/introduction/"' not in page
    assert (
        "Introduction stays as published: this correction reopened only RSOs cautioned or "
        "convicted for breach of notification requirements. Ask the national team if it "
        "needs correcting too."
    ) in page
    # The page and the save of a locked section refuse, saying why, and change nothing.
    response = kent.get(f"{REPORT}/introduction/", follow=True)
    assert "Introduction stays as published" in response.content.decode()
    response = kent.post(
        f"{REPORT}/introduction/",
        {"version": corrected.version, "title": "", "text": "Rewritten"},
        follow=True,
    )
    corrected.refresh_from_db()
    assert corrected.foreword != "Rewritten"
    # The reopened table can be changed.
    old = corrected.cell_values()[BREACHES].value
    kent.post(
        f"{REPORT}/tables/rso_breaches/",
        {"version": corrected.version, "cell__rsos__number": str(old + 2)},
    )
    corrected.refresh_from_db()
    assert corrected.cell_values()[BREACHES].value == old + 2


def test_the_reopen_form_offers_the_sections_and_records_them(national):
    year = open_year(2010, release_at=timezone.now() - datetime.timedelta(days=1))
    report = make_report("kent", year=year, status=Status.PUBLISHED)
    review = national.get(f"{REPORT}/review/").content.decode()
    assert "Sections to reopen" in review
    national.post(
        f"{REPORT}/actions/reopen/",
        {
            "reopen-version": report.version,
            "reopen-comment": "Local page typo.",
            "reopen-sections": ["local-page"],
        },
    )
    report.refresh_from_db()
    assert report.status == Status.RETURNED
    assert report.events.get(action="reopen").sections == ["local-page"]


def test_a_return_in_a_correction_cannot_point_at_a_locked_section(corrected, national_admin):
    # As if the coordinator had resubmitted the correction.
    corrected.status = Status.SUBMITTED
    corrected.save(update_fields=["status"])
    with pytest.raises(workflow.TransitionRefused, match="Introduction stays as published"):
        workflow.perform(
            corrected, "return", national_admin, corrected.version, "Look again",
            pointers=[workflow.Pointer("introduction", "The foreword too")],
        )  # fmt: skip
    corrected.refresh_from_db()
    assert corrected.status == Status.SUBMITTED


def test_a_tampered_pointer_list_is_refused_with_a_summary_linking_to_the_page(national):
    report = submitted_report()
    response = national.post(
        f"{REPORT}/actions/return/",
        {
            "return-version": report.version,
            "return-comment": "Please look again.",
            "pointers-TOTAL_FORMS": "abc",
            "pointers-INITIAL_FORMS": "0",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    summary = html[html.index("govuk-error-summary__list") :]
    targets = re.findall(r'href="#([^"]+)"', summary[: summary.index("</ul>")])
    assert targets and all(f'id="{target}"' in html for target in targets)
    report.refresh_from_db()
    assert report.status == Status.SUBMITTED
