"""Coordinators fill in the return section by section; every rule explains itself."""

import pytest

from reports.models import AnnualReport
from reports.returns import CellRef, CellStatus, CellValue
from tests.factories import make_report, open_year

pytestmark = pytest.mark.django_db
SNAPSHOT = "/manage/reports/2010-11/kent/tables/eligible_offenders/"


@pytest.fixture
def draft(db):
    return make_report(
        "kent",
        year=open_year(2010),
        status=AnnualReport.Status.DRAFT,
        figures={},
        foreword="",
        local_narrative="",
    )


def cells(**values):
    return {f"cell__{k}": v for k, v in values.items()}


KENT_SNAPSHOT = {
    "level_1__category_1": "1185",
    "level_1__category_2": "349",
    "level_1__total": "1534",
    "level_2__category_1": "53",
    "level_2__category_2": "74",
    "level_2__category_3": "29",
    "level_2__total": "156",
    "level_3__category_1": "1",
    "level_3__category_2": "0",
    "level_3__category_3": "0",
    "level_3__total": "1",
    "total__category_1": "1239",
    "total__category_2": "423",
    "total__category_3": "29",
    "total__total": "1691",
}


def post_table(client, draft, table, values, **extra):
    return client.post(
        f"/manage/reports/2010-11/kent/tables/{table}/",
        {"version": draft.version, **cells(**values), **extra},
    )


def test_table_form_is_a_grid_with_not_applicable_cells_shown_as_dash(kent, draft):
    html = kent.get(SNAPSHOT).content.decode()
    assert html.count('inputmode="numeric"') == 15
    assert 'name="cell__level_1__category_3"' not in html
    assert '<span class="govuk-visually-hidden">not applicable</span>' in html
    assert "Level 1, Category 1: Registered sex offenders" in html  # each input's label


def test_coordinator_saves_a_consistent_table(kent, draft):
    response = post_table(kent, draft, "eligible_offenders", KENT_SNAPSHOT)
    assert response.status_code == 302
    values = draft.cell_values()
    assert values[CellRef("eligible_offenders", "level_1", "total")] == CellValue.of(1534)
    assert values[CellRef("eligible_offenders", "level_1", "category_3")].status == "z"
    draft.refresh_from_db()
    assert draft.version == 2


def test_draft_may_leave_cells_blank(kent, draft):
    response = post_table(kent, draft, "eligible_offenders", {"level_1__category_1": "12"})
    assert response.status_code == 302
    assert len([v for v in draft.cell_values().values() if v.status == "value"]) == 1


def test_wrong_total_is_explained_and_nothing_is_saved(kent, draft):
    values = {**KENT_SNAPSHOT, "level_1__category_2": "348"}
    response = post_table(kent, draft, "eligible_offenders", values)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<h2 class="govuk-error-summary__title">There is a problem</h2>' in html
    message = (
        "MAPPA-eligible offenders on 31 March: Level 1 total is 1,534 but "
        "Category 1 (1,185) + Category 2 (348) = 1,533."
    )
    assert f'<a href="#id_cell__level_1__total">{message}</a>' in html
    assert "<title>Error: " in html
    assert 'value="348"' in html  # what was entered stays on screen
    assert draft.figures.filter(status="value").count() == 0


@pytest.mark.parametrize(
    ("entered", "message"),
    [
        ("-3", "“-3” is not a whole number of 0 or more"),
        ("2.5", "“2.5” is not a whole number of 0 or more"),
        ("lots", "“lots” is not a whole number of 0 or more"),
        ("[z]", "“[z]” is not a whole number of 0 or more"),
        ("9999999", "9,999,999 is more than the largest figure allowed (1,000,000)"),
    ],
)
def test_figures_must_be_whole_numbers_zero_or_more_below_a_bound(kent, draft, entered, message):
    response = post_table(kent, draft, "rso_breaches", {"rsos__number": entered})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not draft.figures.filter(status="value").exists()


@pytest.mark.parametrize(
    ("entered", "status"), [("[x]", "x"), ("x", "x"), ("[c]", "c"), ("1,234", "value")]
)
def test_not_available_and_withheld_codes_are_accepted(kent, draft, entered, status):
    assert post_table(kent, draft, "rso_breaches", {"rsos__number": entered}).status_code == 302
    assert draft.figures.get(table="rso_breaches").status == status


def test_yearly_count_must_be_at_least_the_31_march_count(kent, draft):
    post_table(kent, draft, "eligible_offenders", KENT_SNAPSHOT)
    draft.refresh_from_db()
    response = post_table(kent, draft, "levels_2_3_yearly", {"level_2__category_1": "40"})
    assert response.status_code == 200
    assert (
        "MAPPA-eligible offenders on 31 March: Level 2, Category 1: Registered sex offenders is 53 "
        "but Levels 2 and 3 yearly total: Level 2, Category 1: Registered sex offenders is 40: "
        "the yearly total must be at least the number on 31 March."
    ) in response.content.decode()


def test_returns_to_custody_cannot_exceed_the_yearly_count(kent, draft):
    post_table(kent, draft, "levels_2_3_yearly", {"level_3__category_2": "1"})
    draft.refresh_from_db()
    response = post_table(kent, draft, "returns_to_custody", {"licence_level_3__category_2": "2"})
    assert response.status_code == 200
    assert "returns to custody cannot be more than the offenders managed at that level" in (
        response.content.decode()
    )


def test_sopo_breaches_are_only_for_category_1(kent, draft):
    html = kent.get("/manage/reports/2010-11/kent/tables/returns_to_custody/").content.decode()
    assert 'name="cell__sopo_level_2__category_1"' in html
    assert 'name="cell__sopo_level_2__category_2"' not in html
    # Posting a figure for a not-applicable cell changes nothing.
    post_table(kent, draft, "returns_to_custody", {"sopo_level_2__category_2": "4"})
    figure = draft.figures.get(table="returns_to_custody", row="sopo_level_2", column="category_2")
    assert figure.status == CellStatus.NOT_APPLICABLE


def test_rate_must_agree_with_population_when_given(kent, draft):
    post_table(kent, draft, "eligible_offenders", KENT_SNAPSHOT)
    draft.refresh_from_db()
    response = post_table(
        kent, draft, "rso_rate", {"per_100000__number": "80"}, population_estimate="1492000"
    )
    assert response.status_code == 200
    assert (
        "RSOs per 100,000 population is 80 but 1,239 registered sex offenders on 31 March "
        "÷ 1,492,000 population × 100,000 = 83 (rounded)."
    ) in response.content.decode()
    response = post_table(
        kent,
        draft,
        "rso_rate",
        {"per_100000__number": "83"},
        population_estimate="1492000",
        population_source="ONS mid-2010 estimate, aged 10 and over.",
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.population_estimate == 1492000


def test_rate_without_population_is_taken_as_published(kent, draft):
    assert post_table(kent, draft, "rso_rate", {"per_100000__number": "83"}).status_code == 302


@pytest.mark.parametrize("population", ["many", "0", "-5", "1.5"])
def test_bad_population_is_explained(kent, draft, population):
    response = post_table(
        kent, draft, "rso_rate", {"per_100000__number": "83"}, population_estimate=population
    )
    assert response.status_code == 200
    assert "population estimate" in response.content.decode().lower()
    assert not draft.figures.filter(status="value").exists()


def test_foreword_and_local_page_are_plain_text(kent, draft):
    response = kent.post(
        "/manage/reports/2010-11/kent/introduction/",
        {"version": draft.version, "title": "Kent MAPPA", "text": "First.\n\nSecond <b>bold</b>."},
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.foreword_title == "Kent MAPPA"
    assert draft.foreword == "First.\n\nSecond <b>bold</b>."
    html = kent.get("/manage/reports/2010-11/kent/check/").content.decode()
    assert "<p>Second &lt;b&gt;bold&lt;/b&gt;.</p>" in html


def test_signatories_can_be_added_removed_and_reordered(kent, draft):
    draft.signatories.all().delete()
    form = {
        "report-version": draft.version,
        "signatories-TOTAL_FORMS": "3",
        "signatories-INITIAL_FORMS": "0",
        "signatories-0-name": "Alan Pughsley",
        "signatories-0-job_title": "Chief Constable",
        "signatories-0-organisation": "Kent Police",
        "signatories-0-section": "foreword",
        "signatories-0-ORDER": "2",
        "signatories-1-name": "Sarah Billiald",
        "signatories-1-job_title": "Chief Executive",
        "signatories-1-organisation": "Kent Probation",
        "signatories-1-section": "foreword",
        "signatories-1-ORDER": "1",
        "signatories-2-name": "",
        "signatories-2-job_title": "",
        "signatories-2-section": "foreword",
    }
    assert kent.post("/manage/reports/2010-11/kent/signatories/", form).status_code == 302
    assert [s.name for s in draft.signatories.all()] == ["Sarah Billiald", "Alan Pughsley"]
    draft.refresh_from_db()
    first, second = draft.signatories.all()
    form = {
        "report-version": draft.version,
        "signatories-TOTAL_FORMS": "2",
        "signatories-INITIAL_FORMS": "2",
        "signatories-0-id": first.pk,
        "signatories-0-name": first.name,
        "signatories-0-job_title": first.job_title,
        "signatories-0-section": "foreword",
        "signatories-0-ORDER": "1",
        "signatories-0-DELETE": "on",
        "signatories-1-id": second.pk,
        "signatories-1-name": second.name,
        "signatories-1-job_title": second.job_title,
        "signatories-1-section": "local_page",
        "signatories-1-ORDER": "2",
    }
    assert kent.post("/manage/reports/2010-11/kent/signatories/", form).status_code == 302
    assert [(s.pk, s.section) for s in draft.signatories.all()] == [(second.pk, "local_page")]


def test_signatory_job_title_keeps_its_printed_lines(kent, draft):
    draft.signatories.all().delete()
    form = {
        "report-version": draft.version,
        "signatories-TOTAL_FORMS": "1",
        "signatories-INITIAL_FORMS": "0",
        "signatories-0-name": "Adrian Smith",
        "signatories-0-job_title": "Regional Manager\r\n\r\n  Custodial Services  ",
        "signatories-0-organisation": "The Prison Service",
        "signatories-0-section": "foreword",
        "signatories-0-ORDER": "1",
    }
    assert kent.post("/manage/reports/2010-11/kent/signatories/", form).status_code == 302
    (adrian,) = draft.signatories.all()
    assert adrian.job_title == "Regional Manager\nCustodial Services"


def test_signatory_needs_a_name_and_job_title(kent, draft):
    form = {
        "report-version": draft.version,
        "signatories-TOTAL_FORMS": "1",
        "signatories-INITIAL_FORMS": "0",
        "signatories-0-organisation": "Kent Police",
        "signatories-0-section": "foreword",
    }
    response = kent.post("/manage/reports/2010-11/kent/signatories/", form)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Enter the signatory&#x27;s name." in html
    assert "Enter the signatory&#x27;s job title." in html


def test_task_list_shows_each_sections_progress(kent, draft):
    post_table(kent, draft, "rso_breaches", {"rsos__number": "22"})
    draft.refresh_from_db()
    post_table(kent, draft, "eligible_offenders", {"level_1__category_1": "1185"})
    html = kent.get("/manage/reports/2010-11/kent/").content.decode()
    assert html.count("Completed") == 1
    assert html.count("In progress") == 1
    assert "Not started" in html
