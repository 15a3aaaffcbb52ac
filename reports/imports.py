"""Reading figures in the tidy CSV format and writing them to reports.

The format is the public download's (docs/data-dictionary.md): one observation per row with
the columns year, area, table, row, column, value. The demo loader and bulk imports both come
through here, so both are checked by the same rules (`validation.py`).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.db import transaction

from .models import AnnualReport, Area, Figure, ReportingYear
from .returns import CellRef, CellStatus, CellValue
from .validation import check_figures, parse_cell

FIGURE_COLUMNS = ("year", "area", "table", "row", "column", "value")


class FigureImportError(Exception):
    """The file cannot be imported; `problems` lists each reason with its line number."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class PublishedReportError(Exception):
    """Published reports are never changed in place."""


@dataclass
class ParsedReturn:
    """The figures a file gives for one area and year, with the lines they came from."""

    year: ReportingYear
    area: Area
    values: dict[CellRef, CellValue] = field(default_factory=dict)
    lines: dict[CellRef, int] = field(default_factory=dict)


def parse_value(text: str) -> CellValue:
    """A cell from a file: a whole number, or `[z]`, `[x]`, `[c]`; never blank.

    Raises ValueError with a message for people.
    """
    value = parse_cell(text)
    if value is None:
        raise ValueError("the value is blank: give a number, [z], [x] or [c]")
    return value


def parse_figures_csv(text: str) -> list[ParsedReturn]:
    """Every area-year return in a tidy CSV; FigureImportError listing each bad line."""
    reader = csv.DictReader(io.StringIO(text))
    header = tuple(name.strip() for name in (reader.fieldnames or ()))
    # A public download (with its `[r]` marker column) can be imported as it is.
    if header not in (FIGURE_COLUMNS, (*FIGURE_COLUMNS, "marker")):
        raise FigureImportError(
            [f"Line 1: the columns must be {', '.join(FIGURE_COLUMNS)}; found {', '.join(header)}."]
        )
    years: dict[str, ReportingYear | None] = {}
    areas = {area.slug: area for area in Area.objects.all()}
    returns: dict[tuple[int, int], ParsedReturn] = {}
    problems: list[str] = []
    for line, record in enumerate(reader, start=2):  # records, counted as tablib does
        if None in record or any(record.get(name) is None for name in header):
            problems.append(f"Line {line}: expected {len(FIGURE_COLUMNS)} values.")
            continue
        label, slug = record["year"].strip(), record["area"].strip()
        if label not in years:
            years[label] = ReportingYear.objects.filter(
                start_year=ReportingYear.start_year_from_label(label)
            ).first()
        year = years[label]
        if year is None:
            problems.append(f"Line {line}: there is no reporting year “{label}”.")
            continue
        area = areas.get(slug)
        if area is None:
            problems.append(f"Line {line}: there is no MAPPA area “{slug}”.")
            continue
        ref = CellRef(record["table"].strip(), record["row"].strip(), record["column"].strip())
        if not year.template.has_cell(ref):
            problems.append(f"Line {line}: {ref} is not a cell of the {label} return.")
            continue
        try:
            value = parse_value(record["value"])
        except ValueError as error:
            problems.append(f"Line {line}: {error}.")
            continue
        parsed = returns.setdefault((year.pk, area.pk), ParsedReturn(year, area))
        if ref in parsed.values:
            problems.append(
                f"Line {line}: {ref} for {area} {label} is already given on line "
                f"{parsed.lines[ref]}."
            )
            continue
        parsed.values[ref] = value
        parsed.lines[ref] = line
    if problems:
        raise FigureImportError(problems)
    return list(returns.values())


def check_parsed(parsed: ParsedReturn, *, complete: bool) -> list[str]:
    """The rule problems of one parsed return, each with the line it points at."""
    messages = []
    for problem in check_figures(parsed.year.template, parsed.values, complete=complete):
        lines = [parsed.lines[cell] for cell in problem.cells if cell in parsed.lines]
        where = f"Line {lines[0]}" if lines else f"{parsed.area} {parsed.year}"
        messages.append(f"{where}: {problem.message}")
    return messages


def save_figures(report: AnnualReport, values: dict[CellRef, CellValue]) -> None:
    """Make the report's figures exactly `values`, with not-applicable cells `[z]`."""
    changes: dict[CellRef, CellValue | None] = {ref: None for ref in report.cell_values()}
    changes.update(values)
    update_figures(report, changes)


@transaction.atomic
def update_figures(report: AnnualReport, changes: dict[CellRef, CellValue | None]) -> int:
    """Apply `changes` (None clears a cell) to the report's figures; return how many changed.

    Not-applicable cells are always kept as `[z]`. Each cell is saved on its own so that the
    history records who changed what. The caller has checked the values; this refuses only
    what must never happen.
    """
    if report.status == AnnualReport.Status.PUBLISHED:
        raise PublishedReportError(f"{report} is published and cannot be changed.")
    template = report.template
    for ref in template.not_applicable_cells():
        changes[ref] = CellValue(CellStatus.NOT_APPLICABLE)
    existing = {figure.ref: figure for figure in report.figures.all()}
    changed = 0
    for ref, value in changes.items():
        figure = existing.get(ref)
        if value is None:
            if figure is not None:
                figure.delete()
                changed += 1
        elif figure is None:
            Figure.objects.create(
                report=report,
                table=ref.table,
                row=ref.row,
                column=ref.column,
                status=value.status,
                value=value.value,
            )
            changed += 1
        elif figure.cell_value != value:
            figure.status, figure.value = value.status, value.value
            figure.save(update_fields=["status", "value"])
            changed += 1
    return changed


def group_by_report(parsed: list[ParsedReturn]) -> dict[tuple[str, str], ParsedReturn]:
    """Parsed returns keyed by (year label, area slug)."""
    return {(item.year.label, item.area.slug): item for item in parsed}
