"""The demo data: both seed reports, loaded as published through the import path."""

import pytest
from django.core.management import call_command

from reports.models import AnnualReport, Figure, ReportingYear, Signatory
from reports.returns import CellRef
from tests.seed_statistics import SEED_STATISTICS, seed_figures

pytestmark = pytest.mark.django_db


def test_load_demo_publishes_both_seed_reports(demo):
    reports = AnnualReport.objects.published().order_by("area__name")
    assert [str(r) for r in reports] == ["Cambridgeshire and Peterborough 2010-11", "Kent 2010-11"]
    assert Figure.objects.count() == 2 * 57


def test_load_demo_is_idempotent(full_demo):
    before = (AnnualReport.objects.count(), Figure.objects.count(), Signatory.objects.count())
    call_command("load_demo", verbosity=0)
    after = (AnnualReport.objects.count(), Figure.objects.count(), Signatory.objects.count())
    assert after == before
    assert before[0] == 2 + 98  # the seeds and the past publications of 30 areas


def test_load_demo_replace_loads_afresh(full_demo):
    old_ids = set(AnnualReport.objects.values_list("pk", flat=True))
    call_command("load_demo", "--replace", verbosity=0)
    assert AnnualReport.objects.published().count() == 100
    assert not old_ids & set(AnnualReport.objects.values_list("pk", flat=True))


def test_every_year_to_2025_26_names_its_template_and_2025_26_is_open(demo):
    years = {y.label: y for y in ReportingYear.objects.all()}
    assert sorted(years) == [f"{start}-{(start + 1) % 100:02d}" for start in range(2010, 2026)]
    assert {label: y.return_template for label, y in years.items()} == {
        **dict.fromkeys(["2010-11", "2011-12"], "2010-11"),
        **dict.fromkeys(["2012-13", "2013-14", "2014-15"], "2012-13"),
        "2015-16": "2015-16",
        **dict.fromkeys([f"{s}-{s - 1999}" for s in range(2016, 2023)], "2016-17"),
        **dict.fromkeys(["2023-24", "2024-25", "2025-26"], "2023-24"),
    }
    open_year = years["2025-26"]
    assert open_year.is_open and open_year.deadline and open_year.release_at
    assert [y.label for y in years.values() if y.is_open] == ["2025-26"]


def test_demo_past_publications_are_the_real_figures_with_their_sources(full_demo):
    report = AnnualReport.objects.get(area__slug="west-yorkshire", year__start_year=2020)
    assert report.is_past_publication and report.status == AnnualReport.Status.PUBLISHED
    values = report.latest_public_revision().cell_values()
    assert values[CellRef("eligible_offenders", "total", "category_1")].value == 3000
    assert values[CellRef("rso_rate", "per_100000", "number")].value == 147
    # Cells the press did not quote are not available, never blank or 0.
    assert values[CellRef("levels_2_3_yearly", "total", "total")].status == "x"
    assert len(values) == len(list(report.template.cells()))
    assert "https://" in report.source_note


@pytest.mark.parametrize("slug", sorted(SEED_STATISTICS))
def test_demo_figures_equal_the_seeds(demo, slug):
    report = AnnualReport.objects.get(area__slug=slug)
    stored = [
        value.display()
        for ref, value in sorted(
            report.cell_values().items(), key=lambda item: _report_order(item[0])
        )
    ]
    expected = [cell for table in seed_figures(slug) for cell in table]
    assert stored == expected


def _report_order(ref: CellRef) -> int:
    from tests.factories import RETURN_2010_11

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
    # Lines break where the printed report breaks them.
    assert cambs.area.strapline == "Creating a safer\nCambridgeshire"
    assert not cambs.area.strapline_in_italics and cambs.area.sign_off == ""
    adrian = cambs.signatories.get(name="Adrian Smith")
    assert adrian.job_title == "Regional Manager\nCustodial Services"
    kent = AnnualReport.objects.get(area__slug="kent")
    assert kent.area.strapline == "Changing Lives\nReducing Crime"
    assert kent.area.strapline_in_italics
    assert kent.area.sign_off == "Kent\nPolice"
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
    assert 'href="/manage/reports/2025-26/kent/start/"' in dashboard
    client.post("/account/sign-out/")
    client.post(
        "/account/sign-in/",
        {"username": "national.admin@example.gov.uk", "password": "national-demo-password"},
    )
    assert "You are in the national team" in client.get("/manage/").content.decode()
    assert client.get("/admin/reports/areacoordinator/").status_code == 200
    # The dashboard's promise: users are managed, from the accounts page (the admin leads there).
    assert client.get("/manage/accounts/").status_code == 200
    assert client.get("/admin/auth/user/").status_code == 200
    assert client.get("/admin/auth/user/add/")["Location"] == "/manage/accounts/invite/"
    assert client.get("/admin/reports/reportingyear/").status_code == 200
    assert client.get("/manage/reports/2010-11/kent/check/").status_code == 200
