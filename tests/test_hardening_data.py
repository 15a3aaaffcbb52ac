"""Hardening, round two (issue 14): the data's way in and out.

Formula-like text in the spreadsheet, backups readable only by their owner and safe with any
password, thousands separators only in their places, and exports that end quietly when the
program reading them stops.
"""

import io
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
from django.test import override_settings
from django.utils import timezone

from reports import returns
from tests.factories import get_area, make_report, make_year

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
    from reports.exports import FORMULA_STARTS, looks_like_formula, safe_cell

    for start in FORMULA_STARTS:
        assert looks_like_formula(start + "1")
        assert safe_cell(start + "1") == "'" + start + "1"
    assert not looks_like_formula("Kent") and not looks_like_formula(3)
