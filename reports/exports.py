"""Public downloads of published figures: tidy CSV and JSON, streamed, and a spreadsheet.

Only current public revisions are read (`statistics.current_revisions`). Rows are produced one
report at a time from a database cursor, so memory does not grow with the number of rows.
Figures are written at their cell's declared precision; the marker column carries `[r]`
(revised since first publication) and `[b]` (a break in series: the figure's definition changed
this year), both from the return templates and series.
"""

from __future__ import annotations

import csv
import json
import tempfile
from collections.abc import Iterable, Iterator
from decimal import Decimal
from itertools import groupby
from operator import itemgetter
from typing import IO

from django.db.models import QuerySet
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from .imports import FIGURE_COLUMNS
from .models import Area, PublishedFigure, PublishedRevision, ReportingYear
from .returns import (
    BREAK_IN_SERIES,
    REVISED,
    SHORTHAND,
    CellRef,
    CellStatus,
    CellValue,
    Series,
    break_cells,
    get_template,
)
from .statistics import SeriesRow, current_revisions

#: The public CSV adds a marker column to the import format: `[r]` revised, `[b]` break.
PUBLIC_COLUMNS = (*FIGURE_COLUMNS, "marker")
SERIES_COLUMNS = ("series", "year", "area", "value", "marker")
CHUNK = 2000


class _Echo:
    """A file-like object whose write returns the line, for streaming CSV."""

    def write(self, line: str) -> str:
        return line


def published_rows(revisions: QuerySet[PublishedRevision]) -> Iterator[tuple]:
    """(year, area, table, row, column, value, marker) for every figure of `revisions`.

    In year, area and report order, from one database cursor: a report's figures are held
    only while they are put in the return's order. A figure that differs from its report's
    first published revision is marked `[r]`.
    """
    first = _first_revision_values(revisions)
    figures = (
        PublishedFigure.objects.filter(revision__in=revisions.values("pk"))
        .order_by(
            "revision__report__year__start_year", "revision__report__area__name", "revision_id"
        )
        .values_list(
            "revision_id",
            "revision__report_id",
            "revision__report__year__start_year",
            "revision__report__year__return_template",
            "revision__report__area__slug",
            "table",
            "row",
            "column",
            "status",
            "value",
        )
        .iterator(chunk_size=CHUNK)
    )
    for _, rows in groupby(figures, key=itemgetter(0)):
        yield from _report_rows(list(rows), first)


def _report_rows(rows: list[tuple], first: dict) -> Iterator[tuple]:
    _, report_id, start_year, template_key, area, *_ = rows[0]
    year = ReportingYear(start_year=start_year).label
    template = get_template(template_key)
    position = _positions(template_key)
    breaks = break_cells(template, start_year)
    original = first.get(report_id)
    cells = [(CellRef(t, r, c), status, value) for *_, t, r, c, status, value in rows]
    cells.sort(key=lambda cell: position.get(cell[0], len(position)))
    for ref, status, value in cells:
        text = template.text(ref, CellValue(CellStatus(status), value))
        revised = original is not None and original.get(ref) != (status, value)
        marker = (REVISED if revised else "") + (BREAK_IN_SERIES if ref in breaks else "")
        yield (year, area, ref.table, ref.row, ref.column, text, marker)


def _positions(template_key: str) -> dict[CellRef, int]:
    """Each cell's place in the template's report order."""
    return get_template(template_key).positions


def _first_revision_values(revisions: QuerySet[PublishedRevision]) -> dict:
    """For reports published more than once: their first revision's cells (one query)."""
    corrected = revisions.filter(number__gt=1).values("report_id")
    first: dict = {}
    figures = PublishedFigure.objects.filter(
        revision__report_id__in=corrected, revision__number=1
    ).values_list("revision__report_id", "table", "row", "column", "status", "value")
    for report_id, table, row, column, status, value in figures:
        first.setdefault(report_id, {})[CellRef(table, row, column)] = (status, value)
    return first


def csv_lines(rows: Iterable[tuple]) -> Iterator[str]:
    """CSV text, header first, a line at a time; text that a spreadsheet would run is defused."""
    writer = csv.writer(_Echo(), lineterminator="\n")
    yield writer.writerow(PUBLIC_COLUMNS)
    for row in rows:
        yield writer.writerow([safe_cell(cell) for cell in row])


#: What spreadsheets take for the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula, prefixed with ' to keep it text.

    Figures are numbers and codes; area names and keys come from the national team. This is a
    guard for the day a text field is added.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def json_chunks(rows: Iterable[tuple]) -> Iterator[str]:
    """A JSON array of figure objects, a piece at a time.

    `value` is the number at the cell's declared precision, or null with the GSS code in
    `status`; `revised` and `break_in_series` carry the markers.
    """
    yield "["
    for n, (year, area, table, row, column, value, marker) in enumerate(rows):
        number = json_number(value)
        item = {
            "year": year,
            "area": area,
            "table": table,
            "row": row,
            "column": column,
            "value": number,
            "status": "value" if number is not None else value,
            "revised": REVISED in marker,
            "break_in_series": BREAK_IN_SERIES in marker,
        }
        yield ("," if n else "") + "\n" + json.dumps(item)
    yield "\n]\n"


def json_number(text: str) -> int | float | None:
    """A figure's text as a JSON number: 1185, or 125.2 (written back exactly as given)."""
    if text.startswith("["):
        return None
    # A float's shortest repr of a one- or two-place decimal is that decimal's own text.
    return float(text) if "." in text else int(text)


def series_lines(series: Series, rows: Iterable[SeriesRow]) -> Iterator[str]:
    """A series across years and areas as CSV, `[b]` where its definition changed."""
    writer = csv.writer(_Echo(), lineterminator="\n")
    yield writer.writerow(SERIES_COLUMNS)
    for row in rows:
        marker = BREAK_IN_SERIES if row.point.break_reason else ""
        yield writer.writerow(
            [series.key, row.point.year.label, row.area.slug, row.point.text, marker]
        )


# --- The spreadsheet ------------------------------------------------------------------------


def year_workbook(year: ReportingYear) -> IO[bytes]:
    """The year's published figures as an XLSX laid out as the Analysis Function advises.

    A cover sheet, a contents sheet, a notes sheet, then one table per sheet with a single
    header row, no merged cells and no blank rows within tables. Written in openpyxl's
    write-only mode to a temporary file, which is returned open at its start.
    """
    template = year.template
    revisions = list(
        current_revisions()
        .filter(report__year=year)
        .select_related("report__area")
        .order_by("report__area__name")
    )
    values = _values_by_revision(revisions)
    first = _first_revision_values(
        PublishedRevision.objects.filter(pk__in=[r.pk for r in revisions])
    )
    book = Workbook(write_only=True)
    bold = Font(bold=True)
    title_font = Font(bold=True, size=14)

    def title(sheet: object, text: str) -> None:
        cell = _cell(sheet, text, title_font)
        sheet.append([cell])

    cover = book.create_sheet("Cover_sheet")
    title(cover, f"MAPPA annual reports: statistics for England and Wales, {year}")
    for line in [
        f"Figures for 1 April {year.start_year} to 31 March {year.period_end.year}, as published "
        "by each Multi-Agency Public Protection Arrangements (MAPPA) area.",
        f"This spreadsheet holds the figures of the {len(revisions)} of "
        f"{Area.objects.count()} areas whose report was published when it was made.",
        f"Made on {timezone.localtime():%d %B %Y at %H:%M}.",
        "Source: MAPPA Portal. The figures are counts for whole areas: the service holds no "
        "information about individual people.",
        "The Notes worksheet explains the codes used in the tables.",
    ]:
        cover.append([line])

    contents = book.create_sheet("Contents")
    title(contents, "Contents")
    contents.append(["This worksheet lists the tables in this spreadsheet."])
    contents.append([_cell(contents, h, bold) for h in ("Worksheet", "Table")])
    for n, table in enumerate(template.tables, 1):
        contents.append([f"Table_{n}", table.title_for(year.snapshot_date)])

    notes = book.create_sheet("Notes")
    title(notes, "Notes")
    notes.append(["This worksheet explains the codes used in the tables."])
    notes.append([_cell(notes, h, bold) for h in ("Code", "Meaning")])
    notes.append(["[z]", "Not applicable: the cell cannot have a figure (shown as - in reports)."])
    notes.append(["[x]", "Not available."])
    notes.append(["[c]", "Withheld (confidential)."])
    notes.append(["[r]", "Revised since first publication (in the Markers column)."])
    notes.append(
        [
            "[b]",
            "Break in series: the figure's definition changed this year (in the Markers column).",
        ]
    )

    breaks = break_cells(template, year.start_year)
    for n, table in enumerate(template.tables, 1):
        sheet = book.create_sheet(f"Table_{n}")
        title(sheet, f"Table {n}: {table.title_for(year.snapshot_date)}, by area")
        sheet.append(["This worksheet contains one table. Codes are explained in Notes."])
        header = ["Area", "Nation", "Row"] + [c.label for c in table.columns] + ["Markers"]
        sheet.append([_cell(sheet, safe_cell(h), bold) for h in header])
        for revision in revisions:
            area = revision.report.area
            for group in table.groups:
                for row in group.rows:
                    label = f"{group.label}: {row.label}" if group.label else row.label
                    cells: list[object] = []
                    markers = []
                    for column in table.columns:
                        ref = CellRef(table.key, row.key, column.key)
                        status, value = values[revision.pk].get(ref, ("x", None))
                        if status == CellStatus.VALUE:
                            places = table.decimals_of(row, column)
                            cell = WriteOnlyCell(
                                sheet, value=value.quantize(Decimal(1).scaleb(-places))
                            )
                            cell.number_format = "#,##0" + ("." + "0" * places if places else "")
                            cells.append(cell)
                        else:
                            cells.append(SHORTHAND[CellStatus(status)])
                        original = first.get(revision.report_id)
                        if original is not None and original.get(ref) != (status, value):
                            markers.append(f"{REVISED} {column.short_label}")
                        if ref in breaks:
                            markers.append(f"{BREAK_IN_SERIES} {column.short_label}")
                    texts = [safe_cell(t) for t in (area.name, area.get_nation_display(), label)]
                    sheet.append([*texts, *cells, "; ".join(markers)])
    output = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    book.save(output)
    output.seek(0)
    return output


def _cell(sheet: object, text: str, font: Font) -> object:
    cell = WriteOnlyCell(sheet, value=text)
    cell.font = font
    return cell


def _values_by_revision(revisions: list[PublishedRevision]) -> dict[int, dict]:
    result: dict[int, dict] = {r.pk: {} for r in revisions}
    figures = PublishedFigure.objects.filter(revision__in=list(result)).values_list(
        "revision_id", "table", "row", "column", "status", "value"
    )
    for revision_id, table, row, column, status, value in figures.iterator(chunk_size=CHUNK):
        result[revision_id][CellRef(table, row, column)] = (status, value)
    return result
