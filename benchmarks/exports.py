"""Benchmark of the public statistics at scale: 42 areas × 20 years, then 10× that.

Reports, as ratios and counts measured in the same run (never as timed assertions):
- the year CSV's time as a ratio to PostgreSQL's own COPY of the same rows;
- the peak memory of the all-years CSV at 1× and 10× data (it must not grow with the rows);
- the query count of the national summary and of a report page at 1× and 10× (must not grow).

Run with PostgreSQL (`make bench`, or DATABASE_URL=postgres://… python benchmarks/exports.py).
It makes and drops its own database; exits non-zero if memory or query counts grow with data.
"""

from __future__ import annotations

import io
import os
import statistics as stats
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mappa_portal.test_settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    setup_databases,
    setup_test_environment,
    teardown_databases,
)

from benchmarks.data import build  # noqa: E402

AREAS, YEARS, SCALE = 42, 20, 10
FIRST_YEAR = 2001


def year_csv_seconds(label: str) -> float:
    from reports.exports import csv_lines, published_rows
    from reports.models import ReportingYear
    from reports.statistics import current_revisions

    year = ReportingYear.objects.by_label(label)
    start = time.perf_counter()
    out = io.StringIO()
    for line in csv_lines(published_rows(current_revisions().filter(report__year=year))):
        out.write(line)
    return time.perf_counter() - start


def copy_seconds(label: str) -> float:
    """PostgreSQL writing the same rows as CSV itself: the floor for any export."""
    start_year = int(label[:4])
    sql = """
        COPY (
            SELECT y.start_year, a.slug, f."table", f."row", f."column",
                   COALESCE(f.value::text, '[' || f.status || ']'), ''
            FROM reports_publishedfigure f
            JOIN reports_publishedrevision r ON r.id = f.revision_id
            JOIN reports_annualreport p ON p.id = r.report_id
            JOIN reports_reportingyear y ON y.id = p.year_id
            JOIN reports_area a ON a.id = p.area_id
            WHERE y.start_year = %s
            ORDER BY a.name, r.id
        ) TO STDOUT WITH (FORMAT csv, HEADER)
    """
    start = time.perf_counter()
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(sql, (start_year,)) as copy:
            for _ in copy:
                pass
    return time.perf_counter() - start


def all_years_peak_kib() -> float:
    from reports.exports import csv_lines, published_rows
    from reports.statistics import current_revisions

    tracemalloc.start()
    rows = 0
    for _ in csv_lines(published_rows(current_revisions())):
        rows += 1
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1024, rows - 1


def query_counts(client: Client, label: str) -> dict[str, int]:
    counts = {}
    for name, url in (
        ("national summary", f"/reports/{label}/"),
        ("report page", f"/reports/{label}/kent/"),
    ):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
            assert response.status_code == 200, url
        counts[name] = len(captured)
    return counts


def measure(label: str, client: Client) -> dict:
    copy = stats.median(copy_seconds(label) for _ in range(5))
    export = stats.median(year_csv_seconds(label) for _ in range(5))
    peak, rows = all_years_peak_kib()
    return {
        "year_csv_to_copy_ratio": export / copy,
        "peak_kib": peak,
        "rows": rows,
        "queries": query_counts(client, label),
    }


def main() -> int:
    if connection.vendor != "postgresql":
        print("The benchmark needs PostgreSQL: set DATABASE_URL=postgres://…", file=sys.stderr)
        return 2
    setup_test_environment()  # the test client's host, in-memory email
    old = setup_databases(verbosity=0, interactive=False)
    try:
        client = Client()
        build(FIRST_YEAR, YEARS)
        one = measure("2010-11", client)
        build(FIRST_YEAR + YEARS, YEARS * (SCALE - 1))
        ten = measure("2010-11", client)
    finally:
        teardown_databases(old, verbosity=0)
    print(f"Data: {AREAS} areas × {YEARS} years = {one['rows']:,} figures.")
    print(f"Then ×{SCALE}: {ten['rows']:,} figures.")
    print(
        f"Year CSV / PostgreSQL COPY of the same rows: {one['year_csv_to_copy_ratio']:.1f}× "
        f"(at 10× data: {ten['year_csv_to_copy_ratio']:.1f}×)"
    )
    print(
        f"All-years CSV peak memory: {one['peak_kib']:,.0f} KiB at 1×, {ten['peak_kib']:,.0f} KiB "
        f"at 10× (ratio {ten['peak_kib'] / one['peak_kib']:.2f})"
    )
    for name in one["queries"]:
        print(
            f"Queries for the {name}: {one['queries'][name]} at 1×, {ten['queries'][name]} at 10×"
        )
    failures = []
    if ten["peak_kib"] > 2 * one["peak_kib"]:
        failures.append("export memory grows with the number of rows")
    if one["queries"] != ten["queries"]:
        failures.append("query counts grow with the data")
    for failure in failures:
        print(f"FAIL: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
