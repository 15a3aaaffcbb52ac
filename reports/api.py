"""The read-only JSON API, /api/v1/: published figures for analysts and other systems.

django-ninja generates the OpenAPI document (/api/v1/openapi.json) from these typed
endpoints. Like the public pages, it reads only current public revisions.
"""

from __future__ import annotations

import datetime

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import NinjaAPI, Schema
from ninja.decorators import decorate_view
from ninja.errors import HttpError

from . import statistics
from .areas import SLUG
from .caching import public_cache
from .exports import json_number, published_rows
from .models import Area, PublishedRevision, ReportingYear
from .returns import Series, all_series, break_cells

api = NinjaAPI(
    title="MAPPA Portal API",
    version="1",
    description=(
        "Published MAPPA annual report figures for England and Wales. Read-only. Figures are "
        "counts for whole areas; `status` is `value` for a number, or a GSS code: `[z]` not "
        "applicable, `[x]` not available, `[c]` withheld. Numbers carry their cell's declared "
        "precision (a rate may have one decimal place). `break_in_series` marks a figure whose "
        "definition changed that year (GSS `[b]`). Series follow one figure across the "
        "changes of the return since 2010-11."
    ),
    urls_namespace="api",
    # Swagger UI would load scripts from a CDN; the OpenAPI document is what clients need.
    docs_url=None,
)


class YearOut(Schema):
    label: str
    period_start: datetime.date
    period_end: datetime.date
    release_at: datetime.datetime | None
    published_areas: int


class AreaOut(Schema):
    slug: str
    name: str
    nation: str


class FigureOut(Schema):
    table: str
    row: str
    column: str
    value: int | float | None
    status: str
    provisional: bool
    revised: bool
    break_in_series: bool = False


class RevisionOut(Schema):
    year: str
    area: str
    area_name: str
    revision: int
    published_at: datetime.datetime
    revision_reason: str


class ReportOut(RevisionOut):
    figures: list[FigureOut]


class ErrorOut(Schema):
    detail: str


class NationalFigureOut(FigureOut):
    #: How many areas the sum covers (areas without a figure for the cell are left out).
    areas: int | None = None


class NationalOut(Schema):
    year: str
    template: str
    published_areas: list[str]
    rate_per_100000: int | float | None
    figures: list[NationalFigureOut]


class SeriesOut(Schema):
    key: str
    label: str
    description: str
    headline: bool
    compare: bool


class SeriesPointOut(Schema):
    year: str
    area: str
    value: int | float | None
    status: str
    break_in_series: bool
    break_reason: str


class SeriesDataOut(SeriesOut):
    points: list[SeriesPointOut]


def _year(label: str) -> ReportingYear:
    start = ReportingYear.start_year_from_label(label)
    year = ReportingYear.objects.filter(start_year=start).first() if start else None
    if year is None:
        raise HttpError(404, f"There is no reporting year “{label}”.")
    return year


def _revision_out(revision: PublishedRevision) -> dict:
    return {
        "year": revision.report.year.label,
        "area": revision.report.area.slug,
        "area_name": revision.report.area.name,
        "revision": revision.number,
        "published_at": revision.published_at,
        "revision_reason": revision.reason,
    }


def _figures(revisions: QuerySet[PublishedRevision]) -> list[dict]:
    figures = []
    for _, _, table, row, column, value, marker in published_rows(revisions):
        number = json_number(value)
        figures.append(
            {
                "table": table,
                "row": row,
                "column": column,
                "value": number,
                "status": "value" if number is not None else value,
                "provisional": "[p]" in marker,
                "revised": "[r]" in marker,
                "break_in_series": "[b]" in marker,
            }
        )
    return figures


@api.get("/years", response=list[YearOut], summary="Reporting years")
@decorate_view(public_cache)
def years(request: HttpRequest) -> list[dict]:
    counts: dict[int, int] = {}
    for year_id in statistics.current_revisions().values_list("report__year_id", flat=True):
        counts[year_id] = counts.get(year_id, 0) + 1
    return [
        {
            "label": year.label,
            "period_start": year.period_start,
            "period_end": year.period_end,
            "release_at": year.release_at,
            "published_areas": counts.get(year.pk, 0),
        }
        for year in ReportingYear.objects.all()
    ]


@api.get("/areas", response=list[AreaOut], summary="The 42 MAPPA areas")
@decorate_view(public_cache)
def areas(request: HttpRequest) -> list[dict]:
    return [
        {"slug": a.slug, "name": a.name, "nation": a.get_nation_display()}
        for a in Area.objects.all()
    ]


@api.get(
    "/reports/{year}",
    response={200: list[RevisionOut], 404: ErrorOut},
    summary="Published reports of a year",
)
@decorate_view(public_cache)
def reports(request: HttpRequest, year: str) -> list[dict]:
    revisions = (
        statistics.current_revisions()
        .filter(report__year=_year(year))
        .select_related("report__area", "report__year")
        .order_by("report__area__name")
    )
    return [_revision_out(r) for r in revisions]


@api.get(
    "/reports/{year}/{area}",
    response={200: ReportOut, 404: ErrorOut},
    summary="A published report's figures",
)
@decorate_view(public_cache)
def report(request: HttpRequest, year: str, area: str) -> dict:
    revisions = statistics.current_revisions().filter(
        report__year=_year(year), report__area__slug=area
    )
    revision = revisions.select_related("report__area", "report__year").first()
    if revision is None:
        raise HttpError(404, f"No published {year} report for “{area}”.")
    return {**_revision_out(revision), "figures": _figures(revisions)}


@api.get(
    "/national/{year}",
    response={200: NationalOut, 404: ErrorOut},
    summary="A year's national summary",
)
@decorate_view(public_cache)
def national(request: HttpRequest, year: str) -> dict:
    year_obj = _year(year)
    template = year_obj.template
    summary = statistics.national_summary(year_obj)
    breaks = break_cells(template, year_obj.start_year)
    # A sum is provisional if any area's figures in it are.
    provisional = (
        statistics.current_revisions().filter(report__year=year_obj, provisional=True).exists()
    )
    figures = []
    for ref, _ in template.cells():
        value = summary.values.get(ref)
        if value is None:
            continue
        number = json_number(template.text(ref, value))
        figures.append(
            {
                "table": ref.table,
                "row": ref.row,
                "column": ref.column,
                "value": number,
                "status": "value" if number is not None else value.shorthand,
                "provisional": provisional and ref in summary.counts,
                "revised": False,
                "break_in_series": ref in breaks,
                "areas": summary.counts.get(ref),
            }
        )
    rate = None
    if summary.rate and summary.rate.rate is not None and template.rate_rule:
        rate = json_number(
            template.text(template.rate_rule.rate, summary.values[template.rate_rule.rate])
        )
    return {
        "year": year_obj.label,
        "template": template.key,
        "published_areas": [a.slug for a in summary.areas],
        "rate_per_100000": rate,
        "figures": figures,
    }


def _series_out(series: Series) -> dict:
    return {
        "key": series.key,
        "label": series.label,
        "description": series.description,
        "headline": series.headline,
        "compare": series.compare,
    }


@api.get("/series", response=list[SeriesOut], summary="Series followed across the years")
@decorate_view(public_cache)
def series_list(request: HttpRequest) -> list[dict]:
    return [_series_out(s) for s in all_series().values()]


@api.get(
    "/series/{key}",
    response={200: SeriesDataOut, 404: ErrorOut},
    summary="A series' published values, by year and area",
)
@decorate_view(public_cache(params=("area",)))
def series_data(request: HttpRequest, key: str, area: str | None = None) -> dict:
    series = all_series().get(key)
    if series is None:
        raise HttpError(404, f"There is no series “{key}”.")
    area_obj = None
    if area is not None:
        valid = SLUG.fullmatch(area)
        area_obj = Area.objects.filter(slug=area).first() if valid else None
        if area_obj is None:
            raise HttpError(404, f"There is no MAPPA area “{area}”.")
    points = []
    for row in statistics.series_rows(series, area_obj):
        number = json_number(row.point.text)
        points.append(
            {
                "year": row.point.year.label,
                "area": row.area.slug,
                "value": number,
                "status": "value" if number is not None else row.point.text,
                "break_in_series": bool(row.point.break_reason),
                "break_reason": row.point.break_reason,
            }
        )
    return {**_series_out(series), "points": points}
