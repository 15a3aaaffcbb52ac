"""Bulk imports that cannot exhaust a worker, and confirmations that import only what was
previewed, by whoever previewed it (issue 14, findings 1 and 2)."""

import io
import os
import re
import stat
import time
import tracemalloc
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.contrib.auth.models import Permission
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from reports import drafts
from reports.imports import MAX_PROBLEMS
from reports.models import AnnualReport, Figure
from reports.returns import CellRef, CellValue
from reports.uploads import row_limit
from tests.conftest import signed_in
from tests.factories import declared_size_workbook, make_report, make_user, make_year, open_year

pytestmark = pytest.mark.django_db
Status = AnnualReport.Status
HEADER = "year,area,table,row,column,value\n"
SOPOS = CellRef("restrictive_orders", "sopos", "number")


def staff_user(email="nat@justice.example.gov.uk"):
    user = make_user(email, national=True, is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_figure", "import_figures"])
    )
    return user


@pytest.fixture
def staff(db):
    return signed_in(staff_user())


def upload(client, content: bytes | str, name="figures.csv", file_format="0"):
    data = content.encode() if isinstance(content, str) else content
    return client.post(
        "/admin/reports/figure/import/",
        {"resource": "0", "format": file_format, "import_file": SimpleUploadedFile(name, data)},
    )


def confirmation_of(response) -> dict:
    html = response.content.decode()
    assert "Confirm import" in html, html
    return dict(re.findall(r'name="(confirmation)" value="([^"]*)"', html))


def confirm(client, form: dict):
    return client.post("/admin/reports/figure/process_import/", form)


def uploads_waiting(settings) -> list[Path]:
    folder = Path(settings.IMPORT_UPLOAD_DIR)
    return sorted(folder.iterdir()) if folder.exists() else []


@pytest.fixture(autouse=True)
def private_upload_dir(settings, tmp_path):
    settings.IMPORT_UPLOAD_DIR = str(tmp_path / "imports")


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# --- 1. reading within bounds ---------------------------------------------------------------


def test_a_workbook_declaring_every_cell_of_a_sheet_is_refused_within_bounded_memory(
    staff, settings
):
    make_year(2010)
    workbook = declared_size_workbook()
    assert len(workbook) < 8_000  # the attack's file was 1.6 KB; this one is as small
    tracemalloc.start()
    try:
        response = upload(staff, workbook, name="figures.xlsx", file_format="1")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    html = response.content.decode()
    assert response.status_code == 200
    assert "says it holds 1,048,576 rows and 16,384 columns" in html
    assert "Confirm import" not in html
    # Before: 16,384 cells a row, a row at a time, until the worker had 2 GB.
    assert peak < 20 * 1024 * 1024, f"{peak / 1_048_576:.1f} MB"
    assert not Figure.objects.exists()
    assert uploads_waiting(settings) == []


def test_a_workbook_with_a_stray_cell_far_down_is_refused_without_reading_every_row(tmp_path):
    make_year(2010)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["year", "area", "table", "row", "column", "value"])
    sheet.append(["2010-11", "kent", "restrictive_orders", "sopos", "number", 146])
    sheet["A1048576"] = "x"
    path = tmp_path / "figures.xlsx"
    book.save(path)
    # The declared size is refused first; without one, reading stops at the row bound.
    with pytest.raises(CommandError, match="says it holds 1,048,576 rows"):
        call_command("import_figures", str(path), verbosity=0)
    stripped = tmp_path / "undeclared.xlsx"
    stripped.write_bytes(declared_size_workbook(dimension="A1"))
    call_command("import_figures", str(stripped), verbosity=0)  # A1 understates: still fine
    assert Figure.objects.get(table="restrictive_orders", row="sopos").value == 146


def test_a_workbook_that_unzips_to_far_more_than_it_weighs_is_refused(staff, settings):
    make_year(2010)
    settings.IMPORT_MAX_BYTES = 1024 * 1024
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b" " * (11 * 1024 * 1024))
    html = upload(staff, buffer.getvalue(), name="figures.xlsx", file_format="1").content.decode()
    assert "The workbook unzips to 11 MB; the most an import reads is 10 MB." in html


def csv_of_valid_lines(count: int) -> str:
    line = "2010-11,kent,rso_breaches,rsos,number,1\n"
    return HEADER + line * count


def test_a_csv_with_more_lines_than_every_report_could_hold_is_refused_with_bounded_memory(
    tmp_path,
):
    make_year(2010)
    text = csv_of_valid_lines(240_000)  # the attack's file: 9.6 MB of valid lines
    assert 9_000_000 < len(text) < 12_000_000
    path = tmp_path / "figures.csv"
    path.write_text(text)
    tracemalloc.start()
    try:
        with pytest.raises(CommandError) as refused:
            call_command("import_figures", str(path), verbosity=0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert f"more than {row_limit():,} figure lines" in str(refused.value)
    # Before: 1.8 GB and a 244 MB error page. Now the file and the rows before the bound.
    assert peak < 5 * len(text), f"{peak / 1_048_576:.1f} MB"
    assert not Figure.objects.exists()


def test_the_row_bound_is_every_cell_of_every_areas_report_in_every_year(db):
    make_year(2010)
    assert row_limit() == 42 * 57
    make_year(2011)
    assert row_limit() == 42 * 57 * 2


def test_a_file_with_many_bad_lines_shows_only_the_first_hundred_problems(staff, tmp_path):
    make_year(2010)
    text = HEADER + "2010-11,kent,restrictive_orders,sopos,number,-4\n" * 1000
    response = upload(staff, text)
    html = response.content.decode()
    assert html.count("is not a whole number of 0 or more") == MAX_PROBLEMS
    assert "Checking stopped after 100 problems" in html
    assert len(response.content) < 400_000
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(CommandError) as refused:
        call_command("import_figures", str(path), verbosity=0)
    assert str(refused.value).count("is not a whole number") == MAX_PROBLEMS
    assert "Checking stopped after 100 problems" in str(refused.value)


def test_rule_problems_stop_at_the_hundredth_too(tmp_path):
    make_year(2010)
    # 42 areas, each breaking three sums: more than 100 rule problems in all.
    lines = "".join(
        f"2010-11,{slug},eligible_offenders,{level},total,5\n"
        f"2010-11,{slug},eligible_offenders,{level},category_1,9\n"
        f"2010-11,{slug},eligible_offenders,{level},category_2,9\n"
        + (
            ""
            if level == "level_1"
            else f"2010-11,{slug},eligible_offenders,{level},category_3,9\n"
        )
        for slug in AreaSlugs.all()
        for level in ("level_1", "level_2", "level_3")
    )
    path = tmp_path / "rules.csv"
    path.write_text(HEADER + lines)
    with pytest.raises(CommandError) as refused:
        call_command("import_figures", str(path), verbosity=0)
    assert "Checking stopped after 100 problems" in str(refused.value)
    assert str(refused.value).count("Line ") <= MAX_PROBLEMS


class AreaSlugs:
    @staticmethod
    def all() -> list[str]:
        from reports.models import Area

        return list(Area.objects.order_by("name").values_list("slug", flat=True))


def test_a_line_with_more_values_than_columns_is_named(staff):
    make_year(2010)
    text = HEADER + "2010-11,kent,restrictive_orders,sopos,number,146,oops\n"
    html = upload(staff, text).content.decode()
    assert "Line 2 has 7 values but the first line names 6 columns." in html


# --- 2. a confirmation imports what was previewed, or nothing -------------------------------


def test_a_confirmation_imports_the_previewed_file_once(staff, settings):
    make_year(2010)
    preview = upload(staff, HEADER + "2010-11,kent,restrictive_orders,sopos,number,146\n")
    form = confirmation_of(preview)
    assert len(uploads_waiting(settings)) == 1
    response = confirm(staff, form)
    assert response.status_code == 302
    assert Figure.objects.get(table="restrictive_orders", row="sopos").value == 146
    assert uploads_waiting(settings) == []
    again = confirm(staff, form)
    assert again.status_code == 400
    assert "no longer here" in " ".join(messages_of(again))


def test_a_waiting_upload_is_private_to_the_service(staff, settings):
    make_year(2010)
    upload(staff, HEADER + "2010-11,kent,restrictive_orders,sopos,number,146\n")
    [waiting] = uploads_waiting(settings)
    assert stat.S_IMODE(waiting.stat().st_mode) == 0o600
    assert stat.S_IMODE(waiting.parent.stat().st_mode) == 0o700
    assert re.fullmatch(r"[0-9a-f]{32}", waiting.name)


def test_a_confirmation_cannot_name_another_file(staff, settings, tmp_path):
    make_year(2010)
    victim = Path(settings.IMPORT_UPLOAD_DIR).parent / "victim.csv"
    victim.write_text(HEADER + "2010-11,kent,restrictive_orders,sopos,number,999\n")
    forged = {
        "import_file_name": "../victim.csv",
        "original_file_name": "victim.csv",
        "format": "0",
        "resource": "0",
        "confirmation": "../victim.csv",
    }
    response = confirm(staff, forged)
    assert response.status_code == 400
    assert "not made by this service" in " ".join(messages_of(response))
    assert victim.exists()
    # A token signed for the file name but not by this service is refused the same way.
    payload = {"file": "../victim.csv", "name": "victim.csv", "format": 0, "resource": 0}
    foreign = signing.dumps(payload, key="not-our-secret-" * 4, salt="reports.uploads.confirmation")
    assert confirm(staff, {"confirmation": foreign}).status_code == 400
    assert victim.exists()
    assert not Figure.objects.filter(value=999).exists()


def test_a_confirmation_is_refused_in_another_sign_in(staff, settings):
    make_year(2010)
    form = confirmation_of(
        upload(staff, HEADER + "2010-11,kent,restrictive_orders,sopos,number,146\n")
    )
    colleague = signed_in(staff_user("colleague@justice.example.gov.uk"))
    response = confirm(colleague, form)
    assert response.status_code == 400
    assert "made in another sign-in" in " ".join(messages_of(response))
    # The same person signed in elsewhere (another session) is refused too.
    same_person_elsewhere = signed_in(_user_of(staff))
    assert confirm(same_person_elsewhere, form).status_code == 400
    assert not Figure.objects.filter(value=146).exists()
    assert len(uploads_waiting(settings)) == 1  # still there for the one who previewed it
    assert confirm(staff, form).status_code == 302


def _user_of(client):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(pk=client.session["_auth_user_id"])


def test_an_old_confirmation_is_refused(staff, monkeypatch, settings):
    make_year(2010)
    form = confirmation_of(
        upload(staff, HEADER + "2010-11,kent,restrictive_orders,sopos,number,146\n")
    )
    later = time.time() + (settings.IMPORT_CONFIRM_MINUTES + 1) * 60
    monkeypatch.setattr(signing.time, "time", lambda: later)
    response = confirm(staff, form)
    assert response.status_code == 400
    assert "more than 30 minutes old" in " ".join(messages_of(response))
    assert not Figure.objects.filter(value=146).exists()


def test_the_confirmation_checks_the_file_again(staff, settings):
    make_year(2010)
    form = confirmation_of(
        upload(staff, HEADER + "2010-11,kent,restrictive_orders,sopos,number,146\n")
    )
    [waiting] = uploads_waiting(settings)
    waiting.write_bytes(b"\xff\xfe not text" * 1000)
    response = confirm(staff, form)
    assert response.status_code == 400
    assert "not UTF-8 text" in " ".join(messages_of(response))
    assert not Figure.objects.filter(value=146).exists()


def test_a_report_saved_after_the_preview_is_not_overwritten(staff):
    year = open_year(2010)
    report = make_report("kent", year=year, status=Status.DRAFT, figures={})
    coordinator = make_user("kent@example.gov.uk", areas=("kent",))
    form = confirmation_of(
        upload(staff, HEADER + "2010-11,kent,restrictive_orders,sopos,number,146\n")
    )
    drafts.save_table(report, coordinator, report.version, {SOPOS: CellValue.of(7)})
    report.refresh_from_db()
    version = report.version
    response = confirm(staff, form)
    html = response.content.decode()
    assert response.status_code == 409
    assert "the Kent 2010-11 report was changed after the preview" in html
    assert "Import finished" not in html
    assert "Nothing was imported" in " ".join(messages_of(response))
    report.refresh_from_db()
    assert report.version == version
    assert report.figures.get(table="restrictive_orders", row="sopos").value == 7


def test_a_report_started_after_the_preview_is_not_overwritten(staff):
    year = make_year(2010)
    form = confirmation_of(
        upload(staff, HEADER + "2010-11,kent,restrictive_orders,sopos,number,146\n")
    )
    make_report("kent", year=year, status=Status.DRAFT, figures={})
    response = confirm(staff, form)
    assert response.status_code == 409
    assert "the Kent 2010-11 report was started after the preview" in response.content.decode()
    assert not Figure.objects.filter(value=146).exists()


def test_a_refused_preview_leaves_no_file_and_old_previews_are_swept(staff, settings):
    make_year(2010)
    upload(staff, HEADER + "2010-11,kent,restrictive_orders,sopos,number,-4\n")
    assert uploads_waiting(settings) == []
    upload(staff, HEADER + "2010-11,kent,restrictive_orders,sopos,number,146\n")
    [forgotten] = uploads_waiting(settings)
    old = time.time() - (settings.IMPORT_CONFIRM_MINUTES + 1) * 60
    os.utime(forgotten, (old, old))
    upload(staff, HEADER + "2010-11,kent,restrictive_orders,sopos,number,147\n")
    waiting = uploads_waiting(settings)
    assert len(waiting) == 1 and waiting[0] != forgotten


def test_a_confirmation_without_its_token_says_what_to_do(staff):
    response = confirm(staff, {})
    assert response.status_code == 400
    assert "The confirmation is missing. Upload the file again." in " ".join(messages_of(response))


def test_only_importers_can_confirm(db, staff):
    make_year(2010)
    form = confirmation_of(
        upload(staff, HEADER + "2010-11,kent,restrictive_orders,sopos,number,146\n")
    )
    viewer = make_user("viewer@justice.example.gov.uk", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_figure"))
    assert confirm(signed_in(viewer), form).status_code == 403
    assert not Figure.objects.filter(value=146).exists()


def test_a_confirmation_that_changes_nothing_says_so_not_import_finished(staff):
    make_year(2010)
    line = "2010-11,kent,restrictive_orders,sopos,number,146\n"
    confirm(staff, confirmation_of(upload(staff, HEADER + line)))
    response = confirm(staff, confirmation_of(upload(staff, HEADER + line)))
    shown = " ".join(messages_of(staff.get(response.url)))
    assert (
        "Nothing was changed: every figure in the file is already held as it is (1 in all)."
        in shown
    )
    assert "Import finished" not in shown


def test_a_csv_that_cannot_be_parsed_names_its_line(tmp_path, db):
    make_year(2010)
    path = tmp_path / "figures.csv"
    path.write_text(HEADER + "2010-11,kent,restrictive_orders,sopos,number,1" + "4" * 200_000)
    with pytest.raises(CommandError, match="Line 2 could not be read as CSV"):
        call_command("import_figures", str(path), verbosity=0)


def test_old_mac_line_endings_read_as_lines(tmp_path, db):
    make_year(2010)
    path = tmp_path / "figures.csv"
    path.write_bytes(
        (HEADER + "2010-11,kent,restrictive_orders,sopos,number,146\n").replace("\n", "\r").encode()
    )
    call_command("import_figures", str(path), verbosity=0)
    assert Figure.objects.get(table="restrictive_orders", row="sopos").value == 146


# --- workbooks whose parts go past the bounds, however their size is declared --------------

SHEET = "xl/worksheets/sheet1.xml"


def workbook_with(rows_xml: bytes = b"", parts: dict[str, bytes] | None = None) -> bytes:
    """The valid two-row workbook (declaring its true size), with `rows_xml` appended to its
    sheet and `parts` added or replaced."""
    source = zipfile.ZipFile(io.BytesIO(declared_size_workbook(dimension="A1:F2")))
    target = io.BytesIO()
    parts = dict(parts or {})
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            data = parts.pop(item.filename, None) or source.read(item.filename)
            if item.filename == SHEET:
                data = data.replace(b"</sheetData>", rows_xml + b"</sheetData>")
            out.writestr(item, data)
        for name, data in parts.items():
            out.writestr(name, data)
    return target.getvalue()


def refusal(data: bytes) -> str:
    from reports.uploads import ImportRefused, read_xlsx

    with pytest.raises(ImportRefused) as refused:
        read_xlsx(data)
    return str(refused.value)


def test_a_row_of_many_cells_under_an_understated_size_is_refused_within_bounded_memory(db):
    make_year(2010)
    wide = workbook_with(b'<row r="3">' + b"<c><v>1</v></c>" * 200_000 + b"</row>")
    tracemalloc.start()
    try:
        message = refusal(wide)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert message.startswith("Row 3 of a sheet has cells beyond column G")
    assert peak < 10 * 1024 * 1024, f"{peak / 1_048_576:.1f} MB"  # before: 2.8 GB for 6 million


def test_a_cell_beyond_column_g_is_refused_even_when_the_size_says_otherwise(db):
    make_year(2010)
    message = refusal(workbook_with(b'<row r="3"><c r="XFD3"><v>1</v></c></row>'))
    assert message.startswith("Row 3 of a sheet has cells beyond column G;")


def test_more_text_than_a_valid_import_could_hold_is_refused(db):
    make_year(2010)
    most = (row_limit() + 1) * 7
    shared = (
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + b"<si><t>a</t></si>" * (most + 1)
        + b"</sst>"
    )
    message = refusal(workbook_with(parts={"xl/sharedStrings.xml": shared}))
    assert f"holds more than {most:,} pieces of text" in message


def test_a_workbook_of_many_sheets_is_refused(db):
    make_year(2010)
    source = workbook_with()
    book = zipfile.ZipFile(io.BytesIO(source)).read("xl/workbook.xml")
    many = re.sub(
        rb"<sheets>.*</sheets>",
        b"<sheets>"
        + b"".join(b'<sheet name="S%d" sheetId="%d" r:id="rId1"/>' % (n, n) for n in range(1, 30))
        + b"</sheets>",
        book,
    )
    assert "more than 20 sheets" in refusal(workbook_with(parts={"xl/workbook.xml": many}))


def test_a_cell_of_more_text_than_any_import_needs_is_refused(staff):
    make_year(2010)
    long_cell = workbook_with(
        b'<row r="3"><c r="A3" t="inlineStr"><is><t>' + b"x" * 200_000 + b"</t></is></c></row>"
    )
    html = upload(staff, long_cell, name="figures.xlsx", file_format="1").content.decode()
    assert "A cell in row 3 holds more than 2,000 characters" in html
    assert "Traceback" not in html


@pytest.mark.parametrize(
    "broken",
    [
        pytest.param({"rows": b'<row r="3"><c r="A3" t="n"><v>abc</v></c></row>'}, id="bad-number"),
        pytest.param({"workbook": True}, id="no-sheets"),
        pytest.param({"rows": b'<row r="3"><c r="A3"><v>1</v></row>'}, id="not-xml"),
    ],
)
def test_a_workbook_that_cannot_be_read_is_refused_in_plain_words(tmp_path, db, broken):
    make_year(2010)
    if "workbook" in broken:
        book = zipfile.ZipFile(io.BytesIO(workbook_with())).read("xl/workbook.xml")
        data = workbook_with(
            parts={"xl/workbook.xml": re.sub(rb"<sheets>.*</sheets>", b"<sheets/>", book)}
        )
    else:
        data = workbook_with(broken["rows"])
    path = tmp_path / "figures.xlsx"
    path.write_bytes(data)
    with pytest.raises(CommandError, match="The workbook could not be read"):
        call_command("import_figures", str(path), verbosity=0)


def test_a_workbook_with_a_value_beyond_its_named_columns_is_refused(db):
    make_year(2010)
    message = refusal(
        workbook_with(b'<row r="3"><c r="G3" t="inlineStr"><is><t>x</t></is></c></row>')
    )
    assert message == "Row 3 has values beyond the 6 columns the first row names."


def test_a_workbook_with_an_entity_expansion_is_refused(db):
    make_year(2010)
    source = zipfile.ZipFile(io.BytesIO(workbook_with())).read(SHEET)
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        + source.replace(b"<v>146</v>", b"<v>&lol2;</v>").split(b"?>", 1)[-1]
    )
    assert refusal(workbook_with(parts={SHEET: bomb})).startswith("The workbook could not be read")


def test_a_failure_inside_an_import_shows_its_message_and_no_traceback(staff, monkeypatch):
    import reports.resources

    def failing(*args, **kwargs):
        raise RuntimeError("The figures could not be checked.")

    monkeypatch.setattr(reports.resources, "parse_figures_csv", failing)
    make_year(2010)
    html = upload(staff, HEADER + "2010-11,kent,restrictive_orders,sopos,number,1\n").content
    assert b"The figures could not be checked." in html
    assert b"Traceback" not in html and b'class="traceback"' not in html


def test_a_line_the_csv_module_cannot_read_is_a_problem_of_that_line(db):
    from reports.imports import FigureImportError, parse_figures_csv

    make_year(2010)
    with pytest.raises(FigureImportError) as refused:
        parse_figures_csv(HEADER + "2010-11,kent,restrictive_orders,sopos,number," + "4" * 200_000)
    assert refused.value.problems == [
        "Line 2: could not be read as CSV (field larger than field limit (131072))."
    ]
