"""Benchmark data shared by the benchmarks: published reports for the 42 areas, written in bulk.

Needs Django set up (the models are imported when `build` runs), and the 42 areas in the
database (the migrations make them). Written in bulk, so no signal is sent: build before serving.
"""

from __future__ import annotations

from django.utils import timezone


def build(first_year: int, years: int) -> int:
    """Published reports for every area in each of `years` years from `first_year`, in bulk.

    A year that does not exist yet is made, with the 2010-11 return. In a year that already
    exists (the demo's), only the areas without a report of that year get one, with that year's
    return: reports already there are left exactly as they are. Returns how many were made.
    """
    from reports.models import AnnualReport, Area, PublishedFigure, PublishedRevision, ReportingYear
    from tests.factories import consistent_figures

    starts = range(first_year, first_year + years)
    existing = {y.start_year: y for y in ReportingYear.objects.filter(start_year__in=starts)}
    made = ReportingYear.objects.bulk_create(
        ReportingYear(start_year=start, return_template="2010-11")
        for start in starts
        if start not in existing
    )
    year_objects = sorted([*existing.values(), *made], key=lambda year: year.start_year)
    taken = set(
        AnnualReport.objects.filter(year__in=existing.values()).values_list("area_id", "year_id")
    )
    areas = list(Area.objects.all())
    reports = AnnualReport.objects.bulk_create(
        AnnualReport(area=area, year=year, status="published")
        for year in year_objects
        for area in areas
        if (area.pk, year.pk) not in taken
    )
    now = timezone.now()
    revisions = PublishedRevision.objects.bulk_create(
        PublishedRevision(report=report, number=1, published_at=now) for report in reports
    )
    figures = []
    for n, revision in enumerate(revisions):
        template = revision.report.year.template
        for ref, value in consistent_figures(template, seed=n).items():
            figures.append(
                PublishedFigure(
                    revision=revision,
                    table=ref.table,
                    row=ref.row,
                    column=ref.column,
                    status=value.status,
                    value=value.value,
                )
            )
        for ref in template.not_applicable_cells():
            figures.append(
                PublishedFigure(
                    revision=revision, table=ref.table, row=ref.row, column=ref.column, status="z"
                )
            )
        if len(figures) >= 20_000:
            PublishedFigure.objects.bulk_create(figures)
            figures = []
    PublishedFigure.objects.bulk_create(figures)
    return len(reports)
