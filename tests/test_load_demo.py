"""The demo data: both seed reports, loaded as published through the import path."""

import pytest
from django.core.management import call_command

from reports.models import AnnualReport, Figure, Signatory
from reports.returns import CellRef
from tests.seed_statistics import SEED_STATISTICS, seed_figures

pytestmark = pytest.mark.django_db


def test_load_demo_publishes_both_seed_reports(demo):
    reports = AnnualReport.objects.published().order_by("area__name")
    assert [str(r) for r in reports] == ["Cambridgeshire and Peterborough 2010-11", "Kent 2010-11"]
    assert Figure.objects.count() == 2 * 57


def test_load_demo_is_idempotent(demo):
    before = (AnnualReport.objects.count(), Figure.objects.count(), Signatory.objects.count())
    call_command("load_demo", verbosity=0)
    after = (AnnualReport.objects.count(), Figure.objects.count(), Signatory.objects.count())
    assert after == before == (2, 114, 4)


def test_load_demo_replace_loads_afresh(demo):
    old_ids = set(AnnualReport.objects.values_list("pk", flat=True))
    call_command("load_demo", "--replace", verbosity=0)
    assert AnnualReport.objects.published().count() == 2
    assert not old_ids & set(AnnualReport.objects.values_list("pk", flat=True))


@pytest.mark.parametrize("slug", sorted(SEED_STATISTICS))
def test_demo_figures_equal_the_seeds(demo, slug):
    report = AnnualReport.objects.get(area__slug=slug)
    stored = [
        value.display
        for ref, value in sorted(
            report.cell_values().items(), key=lambda item: _report_order(item[0])
        )
    ]
    expected = [cell for table in seed_figures(slug) for cell in table]
    assert stored == expected


def _report_order(ref: CellRef) -> int:
    from reports.returns import RETURN_2010_11

    return [r for r, _ in RETURN_2010_11.cells()].index(ref)


def test_demo_texts_signatories_and_straplines(demo):
    cambs = AnnualReport.objects.get(area__slug="cambridgeshire-and-peterborough")
    assert cambs.foreword.startswith("We are happy to endorse the Cambridgeshire")
    assert cambs.foreword.count("\n\n") == 4
    assert [(s.section, s.name) for s in cambs.signatories.all()] == [
        ("foreword", "Simon Parr"),
        ("foreword", "John Budd"),
        ("foreword", "Adrian Smith"),
        ("local_page", "Andrew Jarvis"),
    ]
    assert cambs.area.strapline == "Creating a safer Cambridgeshire"
    kent = AnnualReport.objects.get(area__slug="kent")
    assert kent.foreword_title == "Kent MAPPA"
    assert kent.local_page_title == "Kent MAPPA 2010/11"
    assert not kent.signatories.exists()
    assert kent.population_source.startswith("This figure has been calculated using the 2010")


def test_demo_accounts_are_not_created_outside_development(demo):
    from django.contrib.auth import get_user_model

    assert not get_user_model().objects.exists()


def test_demo_accounts_can_sign_in_and_do_their_jobs(db, client):
    call_command("load_demo", "--with-users", verbosity=0)
    response = client.post(
        "/account/sign-in/",
        {"username": "kent.coordinator@example.gov.uk", "password": "kent-demo-password"},
    )
    assert response["Location"] == "/manage/"
    dashboard = client.get("/manage/").content.decode()
    assert 'href="/manage/reports/2011-12/kent/start/"' in dashboard
    client.post("/account/sign-out/")
    client.post(
        "/account/sign-in/",
        {"username": "national.admin@example.gov.uk", "password": "national-demo-password"},
    )
    assert "You are in the national team" in client.get("/manage/").content.decode()
    assert client.get("/admin/reports/areacoordinator/").status_code == 200
    assert client.get("/admin/reports/reportingyear/").status_code == 200
    assert client.get("/manage/reports/2010-11/kent/check/").status_code == 200
