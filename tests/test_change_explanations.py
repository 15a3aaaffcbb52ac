"""Flagged figures: each explained on its own before submitting, and seen by reviewers beside
the area's series; the national team's list of every flagged figure of a year."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from reports.models import AnnualReport, ChangeAcknowledgement
from reports.returns import CellRef, CellValue
from tests.factories import consistent_figures, make_report, make_year, open_year

pytestmark = pytest.mark.django_db
CHECK = "/manage/reports/2011-12/kent/check/"
BREACHES = CellRef("rso_breaches", "rsos", "number")
SOPOS = CellRef("restrictive_orders", "sopos", "number")
FLAGGED = "/manage/flagged-figures/2011-12/"


def explain_url(ref: CellRef, rule: str = "large") -> str:
    return f"{CHECK}{ref}/{rule}/"


@pytest.fixture
def draft(db):
    """Kent 2011-12 with two figures far above 2010-11 (too little history: the fixed rule)."""
    before = consistent_figures(make_year(2010).template, seed=1)
    make_report("kent", year=make_year(2010), figures=before)
    now = dict(before)
    now[BREACHES] = CellValue.of(before[BREACHES].value + 40)
    now[SOPOS] = CellValue.of(before[SOPOS].value + 60)
    return make_report("kent", year=open_year(2011), status=AnnualReport.Status.DRAFT, figures=now)


def version(report: AnnualReport) -> int:
    report.refresh_from_db()
    return report.version


def test_the_check_page_lists_each_flagged_figure_with_the_areas_series(kent, draft):
    page = kent.get(CHECK).content.decode()
    assert 'id="figures-to-check"' in page
    assert page.count('class="govuk-summary-card"') == 2
    assert "RSOs cautioned or convicted for breach of notification requirements: RSOs" in page
    assert "Not explained yet" in page
    assert f'href="{explain_url(BREACHES)}"' in page and f'href="{explain_url(SOPOS)}"' in page
    assert ">2010-11</th>" in page  # the area's earlier year beside this year's figure
    assert "You can submit the report once every figure to check is explained." in page


def test_each_flagged_figure_is_explained_on_its_own_and_all_before_submitting(kent, draft):
    response = kent.post(CHECK, {"version": version(draft)})
    assert "Explain the 2 figures marked for checking before you submit the report." in (
        response.content.decode()
    )
    assert version(draft) == draft.version and draft.status == AnnualReport.Status.DRAFT

    response = kent.post(
        explain_url(BREACHES), {"version": version(draft), "explanation": "A new unit."}
    )
    assert response.status_code == 302 and response["Location"].startswith(CHECK)
    acknowledgement = ChangeAcknowledgement.objects.get(report=draft)
    assert (acknowledgement.ref, acknowledgement.rule) == (BREACHES, "large")
    assert acknowledgement.by.username == "kim@kent.example.gov.uk"
    response = kent.post(CHECK, {"version": version(draft)})
    assert "Explain the 1 figure marked for checking" in response.content.decode()

    kent.post(explain_url(SOPOS), {"version": version(draft), "explanation": "Court backlog."})
    kent.post(CHECK, {"version": version(draft)})
    draft.refresh_from_db()
    assert draft.status == AnnualReport.Status.SUBMITTED
    assert ChangeAcknowledgement.objects.filter(report=draft).count() == 2


def test_an_explanation_must_say_something(kent, draft):
    response = kent.post(explain_url(BREACHES), {"version": version(draft), "explanation": "  "})
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page and "Explain why this figure changed like this." in page
    assert not ChangeAcknowledgement.objects.exists()


def test_a_changed_figure_needs_explaining_again(kent, draft):
    kent.post(explain_url(BREACHES), {"version": version(draft), "explanation": "A new unit."})
    kent.post(explain_url(SOPOS), {"version": version(draft), "explanation": "Court backlog."})
    kent.post(
        "/manage/reports/2011-12/kent/tables/rso_breaches/",
        {
            "version": version(draft),
            "cell__rsos__number": str(draft.cell_values()[BREACHES].value + 1),
        },
    )
    page = kent.get(CHECK).content.decode()
    assert page.count("Not explained yet") == 1
    # The earlier explanation is there to start from.
    assert "A new unit." in kent.get(explain_url(BREACHES)).content.decode()
    kent.post(CHECK, {"version": version(draft)})
    assert AnnualReport.objects.get(pk=draft.pk).status == AnnualReport.Status.DRAFT


def test_only_flagged_figures_of_the_coordinators_own_editable_reports_can_be_explained(
    kent, other, national, draft
):
    assert kent.get(explain_url(CellRef("rso_rate", "per_100000", "number"))).status_code == 404
    assert kent.get(explain_url(BREACHES, rule="fall")).status_code == 404
    assert kent.get(f"{CHECK}not-a-cell/large/").status_code == 404
    assert other.get(explain_url(BREACHES)).status_code == 404
    assert national.get(explain_url(BREACHES)).status_code == 404
    assert Client().get(explain_url(BREACHES)).status_code == 302
    draft.status = AnnualReport.Status.SUBMITTED
    draft.save()
    response = kent.post(explain_url(BREACHES), {"version": draft.version, "explanation": "x"})
    assert response["Location"] == "/manage/reports/2011-12/kent/"
    assert not ChangeAcknowledgement.objects.exists()


def test_reviewers_see_the_warnings_explanations_and_the_areas_series(kent, national, draft):
    kent.post(explain_url(BREACHES), {"version": version(draft), "explanation": "A new unit."})
    page = national.get("/manage/reports/2011-12/kent/review/").content.decode()
    assert "The change checks flag 2 figures" in page and "1 is not explained" in page
    assert "A new unit." in page and "Not explained yet" in page
    before = draft.year.reports.model.objects.get(year__start_year=2010).cell_values()[BREACHES]
    assert f">{before.value:,}</td>" in page  # the 2010-11 figure beside this year's
    assert "Explain<span" not in page  # reviewers read, they do not explain


def test_the_national_team_lists_every_flagged_figure_of_a_year(national, kent, draft):
    make_report("essex", year=make_year(2011), status=AnnualReport.Status.SUBMITTED)
    kent.post(explain_url(SOPOS), {"version": version(draft), "explanation": "Court backlog."})
    tracker = national.get("/manage/tracker/2011-12/").content.decode()
    assert f'href="{FLAGGED}"' in tracker
    page = national.get(FLAGGED).content.decode()
    assert "2 flagged figures, 1 not explained in all" in page
    assert page.count('href="/manage/reports/2011-12/kent/review/#figures-to-check"') == 2
    assert "Court backlog." in page and "Not explained yet" in page
    assert "since 2010-11" in page
    assert "Essex" not in page  # no earlier year to compare with: nothing flagged
    only_unusual = national.get(FLAGGED + "?severity=unusual").content.decode()
    assert "No figures are flagged with this severity." in only_unusual
    assert national.get(FLAGGED + "?severity=nonsense").status_code == 200


def test_the_flagged_figures_are_the_national_teams_alone(kent, other, draft):
    assert kent.get(FLAGGED).status_code == 404
    assert other.get(FLAGGED).status_code == 404
    assert Client().get(FLAGGED)["Location"].startswith("/account/sign-in/")


def test_the_flagged_figures_take_the_same_queries_for_any_number_of_reports(national, draft):
    national.get(FLAGGED)  # the published history: read once per public generation

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert national.get(FLAGGED).status_code == 200
        return len(captured)

    one_report = queries()
    for area in ("essex", "surrey", "derbyshire"):
        make_report(area, year=make_year(2011), status=AnnualReport.Status.SUBMITTED)
    assert queries() == one_report
