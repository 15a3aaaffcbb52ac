"""The public figures download (with [r] for revised figures) and the back-office pages."""

import csv
import datetime
import io

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from reports import workflow
from reports.imports import parse_figures_csv
from reports.models import AnnualReport, ReportingYear
from reports.returns import CellRef, CellValue
from tests.conftest import signed_in
from tests.factories import make_report, make_year, open_year

pytestmark = pytest.mark.django_db
CSV_URL = "/reports/2010-11/kent/figures.csv"


def rows(response) -> list[dict]:
    text = response.getvalue().decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_report_figures_download_is_tidy_csv_with_gss_codes(client, demo):
    response = client.get(CSV_URL)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="mappa-2010-11-kent.csv"' in response["Content-Disposition"]
    data = rows(response)
    assert len(data) == 57
    assert list(data[0]) == ["year", "area", "table", "row", "column", "value", "marker"]
    level_1_cat_3 = next(r for r in data if r["row"] == "level_1" and r["column"] == "category_3")
    assert level_1_cat_3["value"] == "[z]"
    assert {r["marker"] for r in data} == {""}
    assert next(r for r in data if r["table"] == "rso_rate")["value"] == "83"


def test_revised_figures_are_marked_r_in_the_download(client, national_admin):
    year = open_year(2010, release_at=timezone.now() - datetime.timedelta(days=1))
    report = make_report("kent", year=year, status=AnnualReport.Status.APPROVED)
    workflow.perform(report, "publish", national_admin, report.version)
    workflow.perform(report, "reopen", national_admin, report.version, "Orders corrected.")
    ref = CellRef("restrictive_orders", "sopos", "number")
    from reports.figures import update_figures

    update_figures(report, {ref: CellValue.of(report.cell_values()[ref].value + 1)})
    report.status = AnnualReport.Status.APPROVED
    report.save()
    workflow.perform(report, "publish", national_admin, report.version)
    data = rows(client.get(CSV_URL))
    marked = [(r["table"], r["row"]) for r in data if r["marker"] == "[r]"]
    assert marked == [("restrictive_orders", "sopos")]


def test_download_of_an_unpublished_report_is_not_found(client, db):
    for status in ("draft", "submitted", "approved", "returned"):
        AnnualReport.objects.all().delete()
        make_report("kent", year=make_year(2010), status=status)
        assert client.get(CSV_URL).status_code == 404


def test_a_download_can_be_imported_as_it_is(client, demo):
    text = client.get(CSV_URL).getvalue().decode()
    [parsed] = parse_figures_csv(text)
    assert len(parsed.values) == 57


def test_release_time_defaults_to_half_past_nine(db):
    from reports.admin import ReportingYearForm

    form = ReportingYearForm(
        data={
            "start_year": "2012",
            "return_template": "2010-11",
            "is_open": "on",
            "deadline": "2013-06-30",
            "release_date": "2013-10-31",
        }
    )
    assert form.is_valid(), form.errors
    year = form.save()
    assert timezone.localtime(year.release_at) == timezone.make_aware(
        datetime.datetime(2013, 10, 31, 9, 30)
    )


def test_admin_opens_and_closes_years(db):
    user = get_user_model().objects.create_superuser("root@example.gov.uk", password="x" * 20)
    client = signed_in(user)
    year = make_year(2011)
    client.post(
        "/admin/reports/reportingyear/", {"action": "open_years", "_selected_action": [year.pk]}
    )
    year.refresh_from_db()
    assert year.is_open
    client.post(
        "/admin/reports/reportingyear/", {"action": "close_years", "_selected_action": [year.pk]}
    )
    year.refresh_from_db()
    assert not year.is_open


def test_every_back_office_page_renders(db):
    """Each admin list, add and change page renders (a rendering check, so as a superuser)."""
    from django.contrib import admin

    user = get_user_model().objects.create_superuser("root@example.gov.uk", password="x" * 20)
    client = signed_in(user)
    report = make_report("kent", year=make_year(2010))
    objects = {
        ReportingYear: report.year,
        AnnualReport: report,
        get_user_model(): user,
    }
    for model, model_admin in admin.site._registry.items():
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        assert client.get(reverse(f"{name}_changelist")).status_code == 200, model
        if model is get_user_model():
            # Accounts start with an invitation, on the accounts page, which records it.
            assert client.get(reverse(f"{name}_add"))["Location"] == "/manage/accounts/invite/"
        elif model_admin.has_add_permission(type("Request", (), {"user": user})()):
            assert client.get(reverse(f"{name}_add")).status_code == 200, model
        obj = objects.get(model) or model.objects.first()
        if obj is not None:
            assert client.get(reverse(f"{name}_change", args=[obj.pk])).status_code == 200, model
