"""Public downloads of published figures: tidy CSV and JSON, streamed, and a spreadsheet.

Only current public revisions are read (`statistics.current_revisions`). Rows are produced one
report at a time from a database cursor, so memory does not grow with the number of rows.
Figures are written at their cell's declared precision; the marker column carries `[p]`
(provisional: published while the year's figures were marked provisional), `[r]` (revised since
first publication) and `[b]` (a break in series: the figure's definition changed this year, from
the return templates and series), together where more than one applies, in that order.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import IO, TYPE_CHECKING, TypeGuard, TypeVar

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Font

from .imports import FIGURE_COLUMNS
from .models import Area, PublishedFigure, PublishedRevision, Release, ReportingYear
from .returns import (
    BREAK_IN_SERIES,
    PROVISIONAL,
    REVISED,
    SHORTHAND,
    CellRef,
    CellStatus,
    CellValue,
    Series,
    all_templates,
    break_cells,
    get_template,
)
from .statistics import SeriesRow, current_revisions

if TYPE_CHECKING:
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

T = TypeVar("T")

#: The public CSV adds a marker column to the import format: `[p]` provisional, `[r]` revised,
#: `[b]` break.
PUBLIC_COLUMNS = (*FIGURE_COLUMNS, "marker")
SERIES_COLUMNS = ("series", "year", "area", "value", "marker")
CHUNK = 2000
#: Reports whose figures are read in one query by the downloads.
REPORTS_PER_QUERY = 100


class _Echo:
    """A file-like object whose write returns the line, for streaming CSV."""

    def write(self, line: str) -> str:
        return line


def published_rows(revisions: QuerySet[PublishedRevision]) -> Iterator[tuple]:
    """(year, area, table, row, column, value, marker) for every figure of `revisions`.

    In year, area and report order. The revisions are looked up first (one query), then their
    figures a batch of reports at a time by revision id, so PostgreSQL reads only those
    figures' index entries and memory holds one batch. A figure that differs from its report's
    first published revision is marked `[r]`; every figure of a provisional revision `[p]`.
    """
    heads = _heads(revisions)
    first = _first_revision_values([head[1] for head in heads if head[2] > 1])
    for start in range(0, len(heads), REPORTS_PER_QUERY):
        batch = heads[start : start + REPORTS_PER_QUERY]
        cells: dict[int, list[list]] = {head[0]: [] for head in batch}
        figures = PublishedFigure.objects.filter(revision_id__in=list(cells)).values_list(
            "revision_id", "table", "row", "column", "status", "value"
        )
        for revision_id, *cell in figures:
            cells[revision_id].append(cell)
        for pk, report_id, _, start_year, template_key, area, provisional in batch:
            yield from _report_rows(
                start_year, template_key, area, cells[pk], first.get(report_id), provisional
            )


def _heads(revisions: QuerySet[PublishedRevision]) -> list[tuple]:
    """(pk, report, number, start year, template, area slug, provisional) of each revision, in
    the downloads' order: year, area name, revision."""
    return list(
        revisions.order_by("report__year__start_year", "report__area__name", "pk").values_list(
            "pk",
            "report_id",
            "number",
            "report__year__start_year",
            "report__year__return_template",
            "report__area__slug",
            "provisional",
        )
    )


def _report_rows(
    start_year: int,
    template_key: str,
    area: str,
    rows: list[list],
    original: dict | None,
    provisional: bool = False,
) -> Iterator[tuple]:
    year = ReportingYear(start_year=start_year).label
    template = get_template(template_key)
    position = _positions(template_key)
    breaks = break_cells(template, start_year)
    cells = [(CellRef(t, r, c), status, value) for t, r, c, status, value in rows]
    cells.sort(key=lambda cell: position.get(cell[0], len(position)))
    for ref, status, value in cells:
        text = template.text(ref, CellValue(CellStatus(status), value))
        revised = original is not None and original.get(ref) != (status, value)
        marker = markers(provisional, revised, ref in breaks)
        yield (year, area, ref.table, ref.row, ref.column, text, marker)


def markers(provisional: bool, revised: bool, breaks: bool) -> str:
    """The markers of one figure, together in one order: `[p][r][b]`."""
    return (
        (PROVISIONAL if provisional else "")
        + (REVISED if revised else "")
        + (BREAK_IN_SERIES if breaks else "")
    )


def _positions(template_key: str) -> dict[CellRef, int]:
    """Each cell's place in the template's report order."""
    return get_template(template_key).positions


def _first_revision_values(report_ids: list[int]) -> dict:
    """For reports published more than once: their first revision's cells (one query)."""
    first: dict = {}
    if not report_ids:
        return first
    figures = PublishedFigure.objects.filter(
        revision__report_id__in=report_ids, revision__number=1
    ).values_list("revision__report_id", "table", "row", "column", "status", "value")
    for report_id, table, row, column, status, value in figures:
        first.setdefault(report_id, {})[CellRef(table, row, column)] = (status, value)
    return first


_COPY_SQL = """
COPY (
    SELECT h.year, h.area, f."table", f."row", f."column",
        CASE WHEN f.status = 'value' THEN round(f.value, coalesce(c.decimals, 0))::text
             ELSE '[' || f.status || ']' END AS value,
        {marker} AS marker
    FROM unnest(%s::bigint[], %s::int[], %s::text[], %s::text[], %s::text[], %s::bigint[],
                %s::boolean[])
        AS h(id, ord, year, area, template, first_id, provisional)
    JOIN reports_publishedfigure f ON f.revision_id = h.id
    LEFT JOIN unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::int[], %s::int[])
        AS c(template, tbl, rw, col, position, decimals)
        ON c.template = h.template AND c.tbl = f."table" AND c.rw = f."row"
           AND c.col = f."column"
    {joins}
    ORDER BY h.ord, c.position
) TO STDOUT WITH (FORMAT csv, HEADER)
"""
#: Only where figures are provisional (`[p]`), a report was corrected (`[r]`) or a series breaks
#: (`[b]`): most years have none.
_MARKER_JOINS = """
    LEFT JOIN unnest(%s::bigint[], %s::text[], %s::text[], %s::text[])
        AS b(id, tbl, rw, col)
        ON b.id = h.id AND b.tbl = f."table" AND b.rw = f."row" AND b.col = f."column"
    LEFT JOIN (
        SELECT * FROM reports_publishedfigure WHERE revision_id = ANY(%s::bigint[])
    ) o ON o.revision_id = h.first_id AND o."table" = f."table" AND o."row" = f."row"
           AND o."column" = f."column"
"""
_MARKER = """nullif(
    CASE WHEN h.provisional THEN '[p]' ELSE '' END
    || CASE WHEN h.first_id IS NOT NULL AND (o.id IS NULL OR o.status <> f.status
                                          OR o.value IS DISTINCT FROM f.value)
         THEN '[r]' ELSE '' END
    || CASE WHEN b.tbl IS NULL THEN '' ELSE '[b]' END,
    ''
)"""


def _copy_sql(markers: bool) -> str:
    # Table, row and column keys are `[a-z][a-z0-9_]*` (the template loader checks), so never
    # a formula; the area's slug is made safe in Python (`safe_cell`).
    return _COPY_SQL.format(
        marker=_MARKER if markers else "NULL",
        joins=_MARKER_JOINS if markers else "",
    )


def copy_csv(revisions: QuerySet[PublishedRevision]) -> Iterator[bytes]:
    """The same bytes as `csv_lines(published_rows(revisions))`, written by PostgreSQL itself.

    The revisions are looked up first, as for `published_rows`; then one `COPY … TO STDOUT`
    reads their figures by revision id, with everything else it needs passed in as arrays: each
    revision's year, area, template and first revision (for `[r]`), and the templates' order,
    precision and breaks. PostgreSQL only.
    """
    heads = _heads(revisions)
    first = dict(
        PublishedRevision.objects.filter(
            report_id__in=[h[1] for h in heads if h[2] > 1], number=1
        ).values_list("report_id", "pk")
        if any(h[2] > 1 for h in heads)
        else ()
    )
    revision_rows = [
        (
            pk,
            n,
            ReportingYear(start_year=start).label,
            safe_cell(area),
            key,
            first.get(report_id),
            provisional,
        )
        for n, (pk, report_id, _, start, key, area, provisional) in enumerate(heads)
    ]
    break_rows = [
        (pk, ref.table, ref.row, ref.column)
        for pk, _, _, start, key, _, _ in heads
        for ref in break_cells(get_template(key), start)
    ]
    marked = bool(first or break_rows or any(head[6] for head in heads))
    params = [*_arrays(revision_rows, 7), *_cell_arrays()]
    if marked:
        params += [*_arrays(break_rows, 4), list(first.values())]
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(_copy_sql(marked), params) as copy,
    ):
        for chunk in copy:
            yield bytes(chunk)


def _cell_arrays() -> list[list]:
    """Every template's cells with their place in report order and their decimal places."""
    rows = [
        (template.key, ref.table, ref.row, ref.column, position, template.decimals(ref))
        for template in all_templates().values()
        for ref, position in template.positions.items()
    ]
    return _arrays(rows, 6)


def _arrays(rows: list[tuple], width: int) -> list[list]:
    """Rows as one list per column, for PostgreSQL's `unnest` (empty lists for no rows)."""
    return [list(column) for column in zip(*rows, strict=True)] or [[] for _ in range(width)]


def csv_lines(rows: Iterable[tuple]) -> Iterator[str]:
    """CSV text, header first, some thousand lines at a time; formulas defused (`safe_cell`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(PUBLIC_COLUMNS)
    for n, row in enumerate(rows, 1):
        writer.writerow([safe_cell(cell) for cell in row])
        if n % CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


#: What spreadsheets take for the start of a formula: the one definition for every download.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(value: object) -> TypeGuard[str]:
    """Whether a spreadsheet would take `value` for a formula (text starting `FORMULA_STARTS`)."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def safe_cell(value: T) -> T | str:
    """A CSV cell that a spreadsheet would run as a formula, prefixed with ' to keep it text.

    Figures are numbers and codes, and keys are lower-case words; area names and labels come
    from the national team. The spreadsheet keeps such text as text another way (`_append`).
    """
    if looks_like_formula(value):
        return "'" + value
    return value


def json_chunks(rows: Iterable[tuple]) -> Iterator[str]:
    """A JSON array of figure objects, a piece at a time.

    `value` is the number at the cell's declared precision, or null with the GSS code in
    `status`; `provisional`, `revised` and `break_in_series` carry the markers.
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
            "provisional": PROVISIONAL in marker,
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
        cells = (series.key, row.point.year.label, row.area.slug, row.point.text, marker)
        yield writer.writerow([safe_cell(cell) for cell in cells])


# --- The spreadsheet ------------------------------------------------------------------------


def year_workbook(year: ReportingYear, as_of: datetime.datetime) -> IO[bytes]:
    """The year's published figures as an XLSX laid out as the Analysis Function advises.

    A cover sheet, a contents sheet, a notes sheet, then one table per sheet with a single
    header row, no merged cells and no blank rows within tables. Written in openpyxl's
    write-only mode to a temporary file, which is returned open at its start. The same figures
    as of the same moment (`as_of`, when what is public last changed) give the same bytes.
    """
    template = year.template
    revisions = list(
        current_revisions()
        .filter(report__year=year)
        .select_related("report__area")
        .order_by("report__area__name")
    )
    values = _values_by_revision(revisions)
    first = _first_revision_values([r.report_id for r in revisions if r.number > 1])
    book = Workbook(write_only=True)
    bold = Font(bold=True)
    title_font = Font(bold=True, size=14)

    def title(sheet: WriteOnlyWorksheet, text: str) -> None:
        _append(sheet, [text], title_font)

    release = Release.objects.filter(year=year).first()
    cover = book.create_sheet("Cover_sheet")
    title(cover, f"MAPPA annual reports: statistics for England and Wales, {year}")
    for line in [
        f"Figures for 1 April {year.start_year} to 31 March {year.period_end.year}, as published "
        "by each Multi-Agency Public Protection Arrangements (MAPPA) area.",
        f"This spreadsheet holds the figures of the {len(revisions)} of "
        f"{Area.objects.count()} areas whose report was published when it was made.",
        f"Figures as published at {timezone.localtime(as_of):%H:%M on %d %B %Y}.",
        "Source: MAPPA Portal. The figures are counts for whole areas: the service holds no "
        "information about individual people.",
        "The Notes worksheet explains the codes used in the tables.",
    ]:
        _append(cover, [line])
    if release is not None and release.statistician:
        _append(cover, ["Who to ask"], bold)
        _append(cover, [f"Responsible statistician: {release.statistician}"])
        _append(cover, [f"Contact: {release.contact_email}"])

    contents = book.create_sheet("Contents")
    title(contents, "Contents")
    _append(contents, ["This worksheet lists the tables in this spreadsheet."])
    _append(contents, ["Worksheet", "Table"], bold)
    for n, table in enumerate(template.tables, 1):
        _append(contents, [f"Table_{n}", table.title_for(year.snapshot_date)])

    notes = book.create_sheet("Notes")
    title(notes, "Notes")
    _append(notes, ["This worksheet explains the codes used in the tables."])
    _append(notes, ["Code", "Meaning"], bold)
    for code, meaning in [
        ("[z]", "Not applicable: the cell cannot have a figure (shown as - in reports)."),
        ("[x]", "Not available."),
        ("[c]", "Withheld (confidential)."),
        (
            "[p]",
            "Provisional: published before the figures' final check; a later revision "
            "replaces them (in the Markers column).",
        ),
        ("[r]", "Revised since first publication (in the Markers column)."),
        (
            "[b]",
            "Break in series: the figure's definition changed this year (in the Markers column).",
        ),
    ]:
        _append(notes, [code, meaning])

    breaks = break_cells(template, year.start_year)
    for n, table in enumerate(template.tables, 1):
        sheet = book.create_sheet(f"Table_{n}")
        title(sheet, f"Table {n}: {table.title_for(year.snapshot_date)}, by area")
        _append(sheet, ["This worksheet contains one table. Codes are explained in Notes."])
        header = ["Area", "Nation", "Row"] + [c.label for c in table.columns] + ["Markers"]
        _append(sheet, header, bold)
        for revision in revisions:
            area = revision.report.area
            for group in table.groups:
                for row in group.rows:
                    label = f"{group.label}: {row.label}" if group.label else row.label
                    cells: list[str | Cell] = []
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
                    if revision.provisional:
                        markers.insert(0, PROVISIONAL)
                    texts = [area.name, area.get_nation_display(), label]
                    _append(sheet, [*texts, *cells, "; ".join(markers)])
    book.properties.creator = "MAPPA Portal"
    made = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    book.save(made)
    return _reproducible(made, as_of)


def _reproducible(book: IO[bytes], as_of: datetime.datetime) -> IO[bytes]:
    """The workbook with the time it was made replaced by `as_of`, in the zip and properties.

    openpyxl stamps the time of saving; the same figures should give the same file, so that
    it can be cached and its ETag is the same on every server.
    """
    stamp = timezone.localtime(as_of).replace(tzinfo=None)
    when = stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    output = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    book.seek(0)
    with zipfile.ZipFile(book) as source, zipfile.ZipFile(output, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "docProps/core.xml":
                pattern = rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*"
                data = re.sub(pattern, rb"\g<1>" + when, data)
            entry = zipfile.ZipInfo(item.filename, date_time=stamp.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, data)
    book.close()
    output.seek(0)
    return output


def _append(
    sheet: WriteOnlyWorksheet, values: Sequence[str | Cell], font: Font | None = None
) -> None:
    """Add a row to a write-only sheet in `font`, keeping every text as text.

    openpyxl writes any string starting "=" as a formula. Formula-like text
    (`looks_like_formula`, as for the CSV) is written as a string cell marked with a quote
    prefix, as Excel marks text typed after an apostrophe: it shows as it is and reads back
    unchanged, without the apostrophe the CSV needs.
    """
    row: list[str | Cell] = []
    for value in values:
        if isinstance(value, Cell) or (font is None and not looks_like_formula(value)):
            row.append(value)  # a figure's cell, made with its number format, or plain text
            continue
        cell = WriteOnlyCell(sheet, value=value)
        if font is not None:
            cell.font = font
        if looks_like_formula(value):
            cell.data_type = "s"
            cell.quotePrefix = True
        row.append(cell)
    sheet.append(row)


def _values_by_revision(revisions: list[PublishedRevision]) -> dict[int, dict]:
    result: dict[int, dict] = {r.pk: {} for r in revisions}
    figures = PublishedFigure.objects.filter(revision__in=list(result)).values_list(
        "revision_id", "table", "row", "column", "status", "value"
    )
    for revision_id, table, row, column, status, value in figures.iterator(chunk_size=CHUNK):
        result[revision_id][CellRef(table, row, column)] = (status, value)
    return result
