"""Hardening, round two (issue 14): the data's way in and out.

Formula-like text in the spreadsheet, backups readable only by their owner and safe with any
password, thousands separators only in their places, and exports that end quietly when the
program reading them stops.
"""

import io
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import openpyxl
import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from reports import backups, returns
from reports.exports import FORMULA_STARTS, looks_like_formula, safe_cell
from reports.imports import FigureImportError, parse_figures_csv
from reports.models import AnnualReport
from reports.returns import CellRef, CellValue
from tests.factories import get_area, make_report, make_year, open_year

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = Path(returns.__file__).resolve().parent / "templates"


def content(response) -> bytes:
    assert response.status_code == 200
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


# --- Formula-like text in the spreadsheet ---------------------------------------------------

HYPERLINK = '=HYPERLINK("http://evil.example/","Kent")'
#: Labels of a return template, as its file might have them, each starting a formula.
HOSTILE_LABELS = {
    'label = "Category 1: Registered sex offenders"': 'label = "+Category 1"',
    'label = "Level 1", not_applicable': 'label = "-Level 1", not_applicable',
    'label = "Breach of licence"': 'label = "@Breach of licence"',
    'title = "MAPPA-eligible offenders on {snapshot_date}"': 'title = "=1+1 on {snapshot_date}"',
    'label = "SOPOs"': 'label = "\\tSOPOs"',
}


@pytest.fixture
def hostile_year(tmp_path, db):
    """2031-32, public, its return's labels and an area's name all looking like formulas."""
    text = (TEMPLATES_DIR / "2010-11.toml").read_text("utf-8")
    text = text.replace('"2010-11"', '"2031-32"')
    for old, new in HOSTILE_LABELS.items():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    (tmp_path / "2031-32.toml").write_text(text, "utf-8")
    with override_settings(RETURN_TEMPLATE_DIRS=[TEMPLATES_DIR, tmp_path]):
        assert returns.declarations().problems == []
        year = make_year(2031)
        year.release_at = timezone.now() - timedelta(days=1)
        year.save()
        kent = get_area("kent")
        kent.name = HYPERLINK
        kent.save()
        make_report(kent, year=year)
        yield year


def test_spreadsheet_text_that_looks_like_a_formula_stays_text(client, hostile_year):
    body = content(client.get("/reports/2031-32/figures.xlsx"))
    book = openpyxl.load_workbook(io.BytesIO(body))
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert [cell.coordinate for cell in cells if cell.data_type == "f"] == []
    texts = {cell.value for cell in cells}
    for text in (
        HYPERLINK,
        "+Category 1",
        "-Level 1",
        "@Breach of licence: Level 2",
        "=1+1 on 31 March 2032",
        "\tSOPOs",
    ):
        assert text in texts, text
        assert all(c.quotePrefix for c in cells if c.value == text)  # shown as typed text
    # Ordinary text is left as it is, and the same figures give the same bytes.
    assert next(c for c in cells if c.value == "Contents").quotePrefix is False
    assert content(client.get("/reports/2031-32/figures.xlsx")) == body


def test_csv_downloads_defuse_formula_like_text_with_the_spreadsheet_definition():
    for start in FORMULA_STARTS:
        assert looks_like_formula(start + "1")
        assert safe_cell(start + "1") == "'" + start + "1"
    assert not looks_like_formula("Kent") and not looks_like_formula(3)


# --- Thousands separators only in their places ----------------------------------------------

COMMA_SLIPS = ["1,2,3", "12,34", ",123", "1,,234", "1234,567", "123,", "1.2,3", "0,123", "00,123"]
RSOS = CellRef("rso_breaches", "rsos", "number")


@pytest.fixture
def draft(db):
    return make_report("kent", year=open_year(2010), status=AnnualReport.Status.DRAFT, figures={})


def post_rsos(client, draft, entered: str):
    return client.post(
        "/manage/reports/2010-11/kent/tables/rso_breaches/",
        {"version": draft.version, "cell__rsos__number": entered},
    )


@pytest.mark.parametrize("entered", COMMA_SLIPS)
def test_a_comma_out_of_place_is_refused_on_the_table_form(kent, draft, entered):
    response = post_rsos(kent, draft, entered)
    assert response.status_code == 200
    assert (
        f"RSOs cautioned or convicted: “{entered}” has a comma out of place: commas can "
        "only separate thousands, as in 1,234 or 12,345, or leave them out. Enter a whole "
        "number, [x] if not available or [c] if withheld."
    ) in response.content.decode()
    assert RSOS not in draft.cell_values()


@pytest.mark.parametrize(("entered", "number"), [("1,234", 1234), ("999,999", 999999)])
def test_thousands_separated_by_commas_are_read_as_one_number(kent, draft, entered, number):
    assert post_rsos(kent, draft, entered).status_code == 302
    assert draft.cell_values()[RSOS] == CellValue.of(number)


def test_a_comma_out_of_place_is_refused_by_the_csv_import(db):
    make_year(2010)
    lines = [f'2010-11,kent,rso_breaches,rsos,number,"{slip}"' for slip in COMMA_SLIPS]
    text = "year,area,table,row,column,value\n" + "\n".join(lines) + "\n"
    with pytest.raises(FigureImportError) as raised:
        parse_figures_csv(text)
    assert raised.value.problems == [
        f"Line {n}: “{slip}” has a comma out of place: commas can only separate thousands, as "
        "in 1,234 or 12,345, or leave them out."
        for n, slip in enumerate(COMMA_SLIPS, 2)
    ]
    [parsed] = parse_figures_csv(
        'year,area,table,row,column,value\n2010-11,kent,rso_breaches,rsos,number,"1,234"\n'
    )
    assert parsed.values[RSOS] == CellValue.of(1234)


# --- Commands whose reader stops reading ----------------------------------------------------


@pytest.fixture
def database_url(tmp_path, db) -> str:
    """A URL another process can open for a copy of the test database (or the database)."""
    if connection.vendor == "sqlite":
        copy = tmp_path / "copy.sqlite3"
        backups.backup(copy)
        return f"sqlite:///{copy}"
    settings = connection.settings_dict
    password = f":{quote(settings['PASSWORD'], safe='')}" if settings["PASSWORD"] else ""
    return (
        f"postgres://{settings['USER'] or 'postgres'}{password}@"
        f"{settings['HOST'] or 'localhost'}:{settings['PORT'] or 5432}/{settings['NAME']}"
    )


@pytest.mark.parametrize("command", [["export_figures", "-"], ["describe_returns"]])
@pytest.mark.parametrize("buffered", [True, False], ids=["buffered", "unbuffered"])
def test_a_command_whose_reader_stops_reading_ends_quietly(database_url, command, buffered):
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "mappa_portal.test_settings",
    }
    env.pop("PYTHONUNBUFFERED", None)
    if not buffered:
        env["PYTHONUNBUFFERED"] = "1"
    process = subprocess.Popen(
        [sys.executable, "manage.py", *command],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    process.stdout.close()  # as `| head` does once it has read enough, before the first line
    _, errors = process.communicate(timeout=60)
    assert errors.decode() == ""
    assert process.returncode == 141  # as a shell reports a program ended by SIGPIPE


def test_a_command_given_a_stream_that_breaks_ends_quietly_and_leaves_stdout_alone(db):
    class ReaderGone(io.StringIO):
        def write(self, text: str) -> int:
            raise BrokenPipeError

    before = os.fstat(sys.stdout.fileno())
    with pytest.raises(SystemExit) as ended:
        call_command("export_figures", "-", stdout=ReaderGone())
    assert ended.value.code == 141
    # The process's own output is not sent to /dev/null: it was not the broken stream.
    after = os.fstat(sys.stdout.fileno())
    assert (after.st_dev, after.st_ino) == (before.st_dev, before.st_ino)
