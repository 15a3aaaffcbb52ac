"""Bulk import and export of figures: checked, previewed, all or nothing, round-trippable."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from reports.models import AnnualReport, Area, Figure
from tests.conftest import signed_in
from tests.factories import RETURN_2010_11, consistent_figures, make_report, make_user, make_year

pytestmark = pytest.mark.django_db
Status = AnnualReport.Status


def export(**options) -> str:
    out = io.StringIO()
    call_command("export_figures", "-", stdout=out, verbosity=0, **options)
    return out.getvalue()


def import_text(tmp_path, text: str, name="figures.csv", **options) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    out = io.StringIO()
    call_command("import_figures", str(path), stdout=out, verbosity=0, **options)
    return out.getvalue()


def state() -> dict:
    return {
        (r.year.label, r.area.slug): (r.status, r.cell_values())
        for r in AnnualReport.objects.select_related("year", "area")
    }


def test_export_is_the_tidy_format_with_gss_codes(db):
    make_report("kent", year=make_year(2010), status=Status.DRAFT)
    lines = export().splitlines()
    assert lines[0] == "year,area,table,row,column,value"
    assert len(lines) == 1 + 57
    assert "2010-11,kent,eligible_offenders,level_1,category_3,[z]" in lines


def test_file_with_one_bad_row_imports_nothing_and_names_the_row(tmp_path, db):
    make_year(2010)
    make_report("essex", year=make_year(2010), status=Status.DRAFT)
    text = export().replace("2010-11,essex", "2010-11,kent")  # a new report for Kent
    lines = text.splitlines()
    bad = lines.index(
        "2010-11,kent,rso_breaches,rsos,number,"
        + lines[
            next(i for i, line in enumerate(lines) if ",rso_breaches,rsos,number," in line)
        ].rsplit(",", 1)[1]
    )
    lines[bad] = "2010-11,kent,rso_breaches,rsos,number,lots"
    before = state()
    with pytest.raises(CommandError) as raised:
        import_text(tmp_path, "\n".join(lines) + "\n")
    message = str(raised.value)
    assert message.startswith("Nothing was imported. 1 problem(s):")
    assert f"Line {bad + 1}: “lots” is not a whole number of 0 or more." in message
    assert state() == before
    assert not AnnualReport.objects.filter(area__slug="kent").exists()


def test_rule_breaking_rows_are_refused_by_line(tmp_path, db):
    make_year(2010)
    text = (
        "year,area,table,row,column,value\n"
        "2010-11,kent,eligible_offenders,level_1,category_1,1185\n"
        "2010-11,kent,eligible_offenders,level_1,category_2,348\n"
        "2010-11,kent,eligible_offenders,level_1,total,1534\n"
    )
    with pytest.raises(
        CommandError,
        match=r"Line 4: MAPPA-eligible offenders on 31 March: "
        r"Level 1 total is 1,534 but Category 1 \(1,185\) \+ Category 2 \(348\) = 1,533",
    ):
        import_text(tmp_path, text)
    assert not Figure.objects.exists()


def test_importing_into_a_published_report_is_refused(tmp_path, db):
    make_report("kent", year=make_year(2010), status=Status.PUBLISHED)
    text = export()
    before = state()
    with pytest.raises(
        CommandError,
        match=re.escape(
            "Line 2: the Kent 2010-11 report cannot be changed by an import now. The report is "
            "published: it can be changed only if the national team reopens it for a correction."
        ),
    ):
        import_text(tmp_path, text)
    assert state() == before


def test_import_updates_a_draft_and_says_what_changed(tmp_path, db):
    report = make_report("kent", year=make_year(2010), status=Status.DRAFT)
    text = export()
    report.figures.filter(table="restrictive_orders").delete()
    message = import_text(tmp_path, text)
    assert message.strip() == "Imported 3 new and 0 changed figures (54 unchanged)."
    assert report.figures.count() == 57


def test_dry_run_changes_nothing(tmp_path, db):
    make_report("kent", year=make_year(2010), status=Status.DRAFT)
    text = export()
    AnnualReport.objects.all().delete()
    assert "Would import 57 new" in import_text(tmp_path, text, dry_run=True)
    assert not AnnualReport.objects.exists()


def test_xlsx_import_reads_the_same_format(tmp_path, db):
    from import_export.formats.base_formats import XLSX
    from tablib import Dataset

    make_year(2010)
    dataset = Dataset(headers=["year", "area", "table", "row", "column", "value"])
    dataset.append(["2010-11", "kent", "restrictive_orders", "sopos", "number", 146])
    path = tmp_path / "figures.xlsx"
    path.write_bytes(XLSX().export_data(dataset))
    call_command("import_figures", str(path), verbosity=0, stdout=io.StringIO())
    assert Figure.objects.get(table="restrictive_orders", row="sopos").value == 146


def test_unreadable_file_is_explained(tmp_path, db):
    path = tmp_path / "figures.xlsx"
    path.write_bytes(b"not a spreadsheet")
    with pytest.raises(CommandError, match="is not an Excel workbook"):
        call_command("import_figures", str(path), verbosity=0)


def test_round_trip_of_42_areas_over_several_years(tmp_path, db):
    """Export everything, import it into an empty database: every report is identical."""
    years = [make_year(start) for start in (2010, 2011, 2012)]
    for n, area in enumerate(Area.objects.all()):
        for year in years:
            values = consistent_figures(RETURN_2010_11, seed=n * 10 + year.start_year)
            make_report(area, year=year, status=Status.DRAFT, figures=values)
    before = {key: values for key, (_, values) in state().items()}
    assert len(before) == 42 * 3
    text = export()
    AnnualReport.objects.all().delete()  # an empty database but for areas and years
    message = import_text(tmp_path, text)
    assert message.strip() == f"Imported {42 * 3 * 57} new and 0 changed figures (0 unchanged)."
    after = {key: values for key, (_, values) in state().items()}
    assert after == before


# --- In the Django admin ------------------------------------------------------------------


@pytest.fixture
def staff(db):
    from django.contrib.auth.models import Permission

    user = make_user("nat@justice.example.gov.uk", national=True, is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=[
                "view_figure",
                "import_figures",
                "view_annualreport",
                "change_annualreport",
            ]
        )
    )
    return signed_in(user)


def upload(client, text: str):
    return client.post(
        "/admin/reports/figure/import/",
        {
            "resource": "0",
            "format": "0",
            "import_file": SimpleUploadedFile("figures.csv", text.encode(), "text/csv"),
        },
    )


def test_admin_import_previews_then_imports_on_confirmation(staff):
    make_year(2010)
    text = "year,area,table,row,column,value\n2010-11,kent,restrictive_orders,sopos,number,146\n"
    preview = upload(staff, text)
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "Confirm import" in html
    assert "146" in html
    assert not Figure.objects.filter(value=146).exists()  # nothing written by the preview
    form = {
        name: value
        for name, value in re.findall(r'name="(\w+)" value="([^"]*)"', html)
        if name != "csrfmiddlewaretoken"
    }
    response = staff.post("/admin/reports/figure/process_import/", form)
    assert response.status_code == 302
    assert Figure.objects.get(table="restrictive_orders", row="sopos").value == 146


def test_admin_import_lists_bad_rows_and_imports_nothing(staff):
    make_year(2010)
    text = (
        "year,area,table,row,column,value\n"
        "2010-11,kent,restrictive_orders,sopos,number,146\n"
        "2010-11,kent,restrictive_orders,nos,number,-4\n"
    )
    html = upload(staff, text).content.decode()
    assert "Line 3: “-4” is not a whole number of 0 or more." in html
    assert "Confirm import" not in html
    assert not Figure.objects.exclude(status="z").exists()


def test_admin_exports_the_selected_reports_figures(staff):
    kent = make_report("kent", year=make_year(2010), status=Status.DRAFT)
    make_report("essex", year=make_year(2010), status=Status.DRAFT)
    response = staff.post(
        "/admin/reports/annualreport/",
        {"action": "export_figures_csv", "_selected_action": [kent.pk]},
    )
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0] == "year,area,table,row,column,value"
    assert len(lines) == 1 + 57
    assert all(",kent," in line for line in lines[1:])
    xlsx = staff.post(
        "/admin/reports/annualreport/",
        {"action": "export_figures_xlsx", "_selected_action": [kent.pk]},
    )
    assert xlsx.content[:2] == b"PK"  # a zip: the XLSX container


def test_coordinators_cannot_import(kent):
    assert kent.get("/admin/reports/figure/import/").status_code == 302


def test_a_header_without_rows_is_refused_not_reported_as_success(tmp_path, db):
    with pytest.raises(CommandError, match="Line 1: the columns must be"):
        import_text(tmp_path, "area,year,value\n")


def test_lines_are_counted_as_records(tmp_path, db):
    make_year(2010)
    text = (
        "year,area,table,row,column,value\n"
        '2010-11,"kent",restrictive_orders,sopos,number,146\n'
        "2010-11,kent,restrictive_orders,nos,number,-4\n"
    )
    with pytest.raises(CommandError, match="Line 3: “-4”"):
        import_text(tmp_path, text)


def test_admin_confirmation_imports_nothing_if_a_report_changed_after_the_preview(staff):
    make_year(2010)
    essex = make_report("essex", year=make_year(2010), status=Status.DRAFT, figures={})
    make_report("kent", year=make_year(2010), status=Status.DRAFT, figures={})
    text = (
        "year,area,table,row,column,value\n"
        "2010-11,essex,restrictive_orders,sopos,number,146\n"
        "2010-11,kent,restrictive_orders,sopos,number,147\n"
    )
    html = upload(staff, text).content.decode()
    form = {
        name: value
        for name, value in re.findall(r'name="(\w+)" value="([^"]*)"', html)
        if name != "csrfmiddlewaretoken"
    }
    AnnualReport.objects.filter(area__slug="kent").update(status=Status.SUBMITTED)
    staff.post("/admin/reports/figure/process_import/", form)
    assert not Figure.objects.filter(table="restrictive_orders", row="sopos").exists()
    assert essex.figures.filter(status="value").count() == 0


def test_history_in_the_admin_can_be_read_but_not_restored(staff_superuser):
    client, report = staff_superuser
    record = report.history.earliest()
    url = f"/admin/reports/annualreport/{report.pk}/history/{record.history_id}/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"foreword": "HACKED"})
    assert response.status_code == 403
    report.refresh_from_db()
    assert report.foreword != "HACKED"
    assert report.status == Status.PUBLISHED


@pytest.fixture
def staff_superuser(db):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_superuser("root@example.gov.uk", password="x" * 20)
    return signed_in(user), make_report("kent", year=make_year(2010), status=Status.PUBLISHED)


def test_export_of_one_year_and_area_to_a_file(tmp_path, db):
    kent = make_report("kent", year=make_year(2010), status=Status.DRAFT)
    make_report("essex", year=make_year(2010), status=Status.DRAFT)
    make_report("kent", year=make_year(2011), status=Status.DRAFT)
    path = tmp_path / "kent.csv"
    call_command("export_figures", str(path), year="2010-11", area="kent", verbosity=0)
    lines = path.read_text().splitlines()
    assert lines[0] == "year,area,table,row,column,value"
    assert len(lines) == 1 + kent.figures.count()
    assert all(line.startswith("2010-11,kent,") for line in lines[1:])


def test_export_of_a_year_not_written_as_a_year_is_refused(tmp_path, db):
    with pytest.raises(CommandError, match="“2010” is not a reporting year like 2010-11"):
        call_command("export_figures", str(tmp_path / "x.csv"), year="2010", verbosity=0)
