"""Benchmark of the bulk import: 840 reports (42 areas × 20 years) in one tidy CSV.

The file (47,880 figures, not-applicable cells included, as an export writes them) is imported
with `manage.py import_figures`, the path the national team uses: parsed, checked with the same
rules as the forms, written with its history. Its time is reported as a ratio to PostgreSQL's
own `COPY reports_figure (…) FROM STDIN` of the same cells into the same table, measured in the
same run (never as a timed assertion): the floor for any writer of those rows.

Hostile files (issue 14) are refused first, on the same data, each against its own floor:
- a 9.6 MB CSV of 240,000 valid lines (more than every report could hold), against reading
  the same file once with Python's csv module;
- a 5 KB workbook whose sheet declares every cell (A1:XFD1048576), against reading the same
  workbook declaring its true size; and within the issue's one second.

Run with PostgreSQL (`make bench`, or DATABASE_URL=postgres://… python benchmarks/imports.py).
It makes and drops its own database; exits non-zero if any ratio is above its limit.
"""

from __future__ import annotations

import csv
import io
import os
import resource
import statistics as stats
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mappa_portal.test_settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402

AREAS, YEARS = 42, 20
FIRST_YEAR = 2001
RUNS = 5
#: Issue 10: a bulk import may take at most this many times PostgreSQL's COPY of its cells.
MAX_RATIO = 20
#: Refusing a hostile file may take at most this many times its floor, and at most 1 s.
MAX_REFUSAL_RATIO = 3
MAX_REFUSAL_SECONDS = 1.0
#: The 240,000-line CSV of issue 14.
HOSTILE_LINES = 240_000
#: Its own database, so that a test run on the same server at the same time is not disturbed.
DATABASE_NAME = "mappa_bench_imports"

#: One cell as written to the table and to the file: table, row, column, status, value, text.
Cell = tuple[str, str, str, str, Decimal | None, str]


def make_years() -> list[str]:
    """`YEARS` reporting years on the 2010-11 return (the factories' consistent figures)."""
    from reports.models import ReportingYear

    years = ReportingYear.objects.bulk_create(
        ReportingYear(start_year=FIRST_YEAR + n, return_template="2010-11") for n in range(YEARS)
    )
    return [year.label for year in years]


def report_cells() -> dict[tuple[str, str], list[Cell]]:
    """Every report's cells, by (year, area): consistent figures, not-applicable cells `[z]`."""
    from reports.models import Area
    from reports.returns import NOT_APPLICABLE
    from tests.factories import RETURN_2010_11, consistent_figures

    template = RETURN_2010_11
    slugs = list(Area.objects.order_by("name").values_list("slug", flat=True))
    assert len(slugs) == AREAS
    cells: dict[tuple[str, str], list[Cell]] = {}
    for n, (label, slug) in enumerate((y, a) for y in make_years() for a in slugs):
        values = consistent_figures(template, seed=n)
        values.update(dict.fromkeys(template.not_applicable_cells(), NOT_APPLICABLE))
        cells[(label, slug)] = [
            (ref.table, ref.row, ref.column, v.status, v.value, template.text(ref, v))
            for ref, v in values.items()
        ]
    return cells


def tidy_csv(cells: dict[tuple[str, str], list[Cell]]) -> str:
    """The file a national team would import: year, area, table, row, column, value."""
    lines = ["year,area,table,row,column,value"]
    for (label, slug), report in cells.items():
        for table, row, column, _, _, text in report:
            lines.append(f"{label},{slug},{table},{row},{column},{text}")
    return "\n".join(lines) + "\n"


def empty_reports(*, keep_reports: bool = False) -> None:
    """Back to no figures (and, unless `keep_reports`, no reports), with no history of either.

    TRUNCATE, because deleting through the ORM would write a history row per figure.
    """
    from reports.models import AnnualReport, Figure

    models = [Figure, Figure.history.model]
    if not keep_reports:
        models += [AnnualReport, AnnualReport.history.model]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(model._meta.db_table for model in models)} CASCADE")


def import_seconds(path: Path, figures: int) -> float:
    """One run of `manage.py import_figures` into an empty database (but areas and years)."""
    from reports.models import Figure

    empty_reports()
    out = io.StringIO()
    start = time.perf_counter()
    call_command("import_figures", str(path), verbosity=0, stdout=out)
    seconds = time.perf_counter() - start
    assert out.getvalue().startswith(f"Imported {figures} new"), out.getvalue()
    assert Figure.objects.count() == Figure.history.count() == figures
    return seconds


def copy_seconds(cells: dict[tuple[str, str], list[Cell]]) -> float:
    """PostgreSQL loading the same cells itself, into the same table, for the same reports."""
    from reports.models import AnnualReport, Figure

    ids = {
        (label, slug): pk
        for label, slug, pk in (
            (report.year.label, report.area.slug, report.pk)
            for report in AnnualReport.objects.select_related("year", "area")
        )
    }
    rows = [
        (ids[key], table, row, column, status, value)
        for key, report in cells.items()
        for table, row, column, status, value, _ in report
    ]
    empty_reports(keep_reports=True)
    sql = (
        f"COPY {Figure._meta.db_table} "
        '(report_id, "table", "row", "column", status, value) FROM STDIN'
    )
    start = time.perf_counter()
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for values in rows:
            copy.write_row(values)
    seconds = time.perf_counter() - start
    assert Figure.objects.count() == len(rows)
    empty_reports(keep_reports=True)
    return seconds


def refusal_seconds(path: Path) -> float:
    """One refused `import_figures` run: the hostile file must be refused, never imported."""
    from django.core.management import CommandError

    from reports.models import Figure

    start = time.perf_counter()
    try:
        call_command("import_figures", str(path), verbosity=0, stdout=io.StringIO())
    except CommandError:
        seconds = time.perf_counter() - start
    else:
        raise AssertionError(f"{path.name} was imported")
    assert not Figure.objects.exists()
    return seconds


def csv_floor_seconds(path: Path) -> float:
    """Reading the file once with Python's csv module, as any reader of it must."""
    start = time.perf_counter()
    rows = sum(1 for _ in csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))
    seconds = time.perf_counter() - start
    assert rows == HOSTILE_LINES + 1
    return seconds


def workbook_floor_seconds(data: bytes) -> float:
    """Reading the same workbook, declaring its true size, within the import's bounds."""
    from reports.uploads import read_xlsx

    start = time.perf_counter()
    assert len(read_xlsx(data)) == 1
    return time.perf_counter() - start


def hostile_refusals(folder: Path, year: str) -> list[tuple[str, float, float, float]]:
    """(what, refused in s, floor in s, peak memory growth in MB) for each hostile file."""
    from tests.factories import declared_size_workbook

    hostile_csv = folder / "hostile.csv"
    line = f"{year},kent,rso_breaches,rsos,number,1\n"
    hostile_csv.write_text("year,area,table,row,column,value\n" + line * HOSTILE_LINES)
    hostile_xlsx = folder / "hostile.xlsx"
    hostile_xlsx.write_bytes(declared_size_workbook(year=year))
    true_size = declared_size_workbook(dimension="A1:F2", year=year)
    measured = []
    files = (
        (f"{HOSTILE_LINES:,}-line CSV", hostile_csv, lambda: csv_floor_seconds(hostile_csv)),
        (
            "workbook declaring A1:XFD1048576",
            hostile_xlsx,
            lambda: workbook_floor_seconds(true_size),
        ),
    )
    for what, path, floor in files:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        refused = stats.median(refusal_seconds(path) for _ in range(RUNS))
        grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
        measured.append((what, refused, stats.median(floor() for _ in range(RUNS)), grown))
    return measured


def main() -> int:
    if connection.vendor != "postgresql":
        print("The benchmark needs PostgreSQL: set DATABASE_URL=postgres://…", file=sys.stderr)
        return 2
    connection.settings_dict.setdefault("TEST", {})["NAME"] = DATABASE_NAME
    old = setup_databases(verbosity=0, interactive=False)
    try:
        cells = report_cells()
        figures = sum(len(report) for report in cells.values())
        with tempfile.TemporaryDirectory() as folder:
            refusals = hostile_refusals(Path(folder), next(iter(cells))[0])
            path = Path(folder) / "figures.csv"
            path.write_text(tidy_csv(cells), encoding="utf-8")
            imports, copies = [], []
            for _ in range(RUNS):
                imports.append(import_seconds(path, figures))
                copies.append(copy_seconds(cells))
    finally:
        teardown_databases(old, verbosity=0)
    imported, copied = stats.median(imports), stats.median(copies)
    ratio = imported / copied
    print(f"Data: {AREAS} areas × {YEARS} years = {len(cells)} reports, {figures:,} figures.")
    print(
        f"import_figures: {imported:.2f} s (median of {RUNS}); PostgreSQL COPY of the same "
        f"cells: {copied * 1000:.0f} ms; ratio {ratio:.1f}× (at most {MAX_RATIO}×)"
    )
    failed = ratio > MAX_RATIO
    if failed:
        print(f"FAIL: the import takes more than {MAX_RATIO}× COPY", file=sys.stderr)
    for what, refused, floor, grown in refusals:
        print(
            f"Refusing the {what}: {refused * 1000:.0f} ms (median of {RUNS}), "
            f"{refused / floor:.1f}× its floor ({floor * 1000:.0f} ms; at most "
            f"{MAX_REFUSAL_RATIO}× and {MAX_REFUSAL_SECONDS:.0f} s); peak memory grew "
            f"{grown:.0f} MB"
        )
        if refused / floor > MAX_REFUSAL_RATIO or refused > MAX_REFUSAL_SECONDS:
            print(f"FAIL: refusing the {what} takes too long", file=sys.stderr)
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
