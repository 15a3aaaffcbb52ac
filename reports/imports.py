"""Reading figures in the tidy CSV format, checked line by line.

The format is the public download's (docs/data-dictionary.md): one observation per row with
the columns year, area, table, row, column, value. Past publications add a `source` column.
The demo loader, bulk imports and past publications all come through here, so all are checked
by the same rules (`validation.py`); `figures.py` writes what passes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field

from .models import Area, ReportingYear
from .returns import CellRef, CellValue
from .validation import check_figures, parse_cell

FIGURE_COLUMNS = ("year", "area", "table", "row", "column", "value")
#: Past publications say where each figure was published.
SOURCE_COLUMNS = (*FIGURE_COLUMNS, "source")
#: Checking stops after this many problems: a file that bad is fixed at its source, not line
#: by line, and a page of every problem of a large file would help no one.
MAX_PROBLEMS = 100
#: Said after the problems when checking stopped at MAX_PROBLEMS.
STOPPED = (
    f"Checking stopped after {MAX_PROBLEMS} problems: fix these and import the file again "
    "to see whether there are more."
)


class FigureImportError(Exception):
    """The file cannot be imported; `problems` lists each reason with its line number."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class ParsedReturn:
    """The figures a file gives for one area and year, with the lines they came from."""

    year: ReportingYear
    area: Area
    values: dict[CellRef, CellValue] = field(default_factory=dict)
    lines: dict[CellRef, int] = field(default_factory=dict)
    #: Where the figures were published (past publications), in the file's order.
    sources: list[str] = field(default_factory=list)

    @property
    def source_note(self) -> str:
        return "\n".join(self.sources)


def parse_value(text: str, decimals: int = 0) -> CellValue:
    """A cell from a file: a number (up to `decimals` places), `[z]`, `[x]` or `[c]`; never blank.

    Raises ValueError with a message for people.
    """
    value = parse_cell(text, decimals=decimals)
    if value is None:
        raise ValueError("the value is blank: give a number, [z], [x] or [c]")
    return value


def parse_figures_csv(text: str, *, with_source: bool = False) -> list[ParsedReturn]:
    """Every area-year return in a tidy CSV; FigureImportError listing each bad line.

    `with_source` (past publications) requires a `source` column, filled in on every line.
    """
    reader = csv.DictReader(io.StringIO(text))
    header = tuple(name.strip() for name in (reader.fieldnames or ()))
    # A public download (with its marker column) can be imported as it is.
    allowed = (SOURCE_COLUMNS,) if with_source else (FIGURE_COLUMNS, (*FIGURE_COLUMNS, "marker"))
    if header not in allowed:
        raise FigureImportError(
            [f"Line 1: the columns must be {', '.join(allowed[0])}; found {', '.join(header)}."]
        )
    years: dict[str, ReportingYear | None] = {}
    areas = {area.slug: area for area in Area.objects.all()}
    returns: dict[tuple[int, int], ParsedReturn] = {}
    problems: list[str] = []
    # Records, counted as tablib does.
    for line, record in enumerate(_records(reader, problems), start=2):
        if len(problems) >= MAX_PROBLEMS:
            problems.append(STOPPED)
            break
        if None in record or any(record.get(name) is None for name in header):
            problems.append(f"Line {line}: expected {len(FIGURE_COLUMNS)} values.")
            continue
        label, slug = record["year"].strip(), record["area"].strip()
        if label not in years:
            start = ReportingYear.start_year_from_label(label)
            years[label] = None
            if start is not None:
                years[label] = ReportingYear.objects.filter(start_year=start).first()
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
            value = parse_value(record["value"], year.template.decimals(ref))
        except ValueError as error:
            problems.append(f"Line {line}: {error}.")
            continue
        source = (record.get("source") or "").strip()
        if with_source and not source:
            problems.append(f"Line {line}: say where the figure was published (source).")
            continue
        parsed = returns.setdefault((year.pk, area.pk), ParsedReturn(year, area))
        if ref in parsed.values and with_source and parsed.values[ref] == value:
            # The same figure from a second source corroborates it: keep both sources.
            if source not in parsed.sources:
                parsed.sources.append(source)
            continue
        if ref in parsed.values:
            problems.append(
                f"Line {line}: {ref} for {area} {label} is already given on line "
                f"{parsed.lines[ref]}."
            )
            continue
        parsed.values[ref] = value
        parsed.lines[ref] = line
        if source and source not in parsed.sources:
            parsed.sources.append(source)
    if problems:
        raise FigureImportError(problems)
    return list(returns.values())


def _records(reader: csv.DictReader, problems: list[str]) -> Iterator[dict[str, str]]:
    """The reader's records, ending at one the csv module cannot read, with that problem."""
    line = 1
    try:
        for line, record in enumerate(reader, start=2):  # noqa: B007 (the last is wanted)
            yield record
    except csv.Error as error:
        problems.append(f"Line {line + 1}: could not be read as CSV ({error}).")


def check_parsed(parsed: ParsedReturn, *, complete: bool) -> list[str]:
    """The rule problems of one parsed return, each with the line it points at."""
    messages = []
    for problem in check_figures(parsed.year.template, parsed.values, complete=complete):
        lines = [parsed.lines[cell] for cell in problem.cells if cell in parsed.lines]
        where = f"Line {lines[0]}" if lines else f"{parsed.area} {parsed.year}"
        messages.append(f"{where}: {problem.message}")
    return messages


def group_by_report(parsed: list[ParsedReturn]) -> dict[tuple[str, str], ParsedReturn]:
    """Parsed returns keyed by (year label, area slug)."""
    return {(item.year.label, item.area.slug): item for item in parsed}
