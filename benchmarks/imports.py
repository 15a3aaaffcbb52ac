"""Benchmark of the bulk import: 840 reports (42 areas × 20 years) in one tidy CSV.

The file (47,880 figures, not-applicable cells included, as an export writes them) is imported
with `manage.py import_figures`, the path the national team uses: parsed, checked with the same
rules as the forms, written with its history. Its time is reported as a ratio to PostgreSQL's
own `COPY reports_figure (…) FROM STDIN` of the same cells into the same table, measured in the
same run (never as a timed assertion): the floor for any writer of those rows.

Run with PostgreSQL (`make bench`, or DATABASE_URL=postgres://… python benchmarks/imports.py).
It makes and drops its own database; exits non-zero if the ratio is above `MAX_RATIO`.
"""

from __future__ import annotations

import io
import os
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
    if ratio > MAX_RATIO:
        print(f"FAIL: the import takes more than {MAX_RATIO}× COPY", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
