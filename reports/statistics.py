"""Published figures across reports: the national picture, areas over time, comparisons.

Everything here reads only the current public revision of each report (`current_revisions`),
so unpublished or not-yet-released figures cannot reach a total. Which figures are shown comes
from the return templates and their series (`returns`): nothing here names a table, row or
column. Queries are a fixed number per page, whatever the number of areas and years.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery, Window
from django.utils import timezone

from .models import Area, PublishedFigure, PublishedRevision, ReportingYear
from .returns import (
    NOT_AVAILABLE,
    CellRef,
    CellStatus,
    CellValue,
    ReturnTemplate,
    Series,
    all_series,
    series_break,
    series_value,
)
from .validation import expected_rate


def current_revisions() -> QuerySet[PublishedRevision]:
    """The latest public revision of every published report.

    "Public, with no later public revision": filtered further (a year, an area), PostgreSQL
    looks up that year's or area's revisions first, whatever the size of the rest.
    """
    public = PublishedRevision.objects.public()
    later = public.filter(report=OuterRef("report"), number__gt=OuterRef("number"))
    return public.filter(~Exists(later))


def current_figures(
    at: datetime.datetime | None = None, **revision_filters: object
) -> QuerySet[PublishedFigure]:
    """The figures of the current public revisions matching `revision_filters` (as they will
    be `at` a later time, for pre-release).

    Written as conditions on the figure's own revision (rather than "revision in a subquery")
    so that PostgreSQL starts from the year or area asked for and reads only their figures.
    """
    now = at or timezone.now()
    public = PublishedRevision.objects.public(now)
    later = public.filter(
        report=OuterRef("revision__report"), number__gt=OuterRef("revision__number")
    )
    return PublishedFigure.objects.filter(
        Q(revision__report__year__release_at__isnull=True)
        | Q(revision__report__year__release_at__lte=now),
        ~Exists(later),
        revision__published_at__lte=now,
        **{f"revision__{name}": value for name, value in revision_filters.items()},
    )


@dataclass
class NationalRate:
    rate: Decimal | None
    offenders: Decimal
    population: int
    #: Areas whose population was not given, for which the one implied by their rate is used.
    implied: list[str]
    #: How many areas the rate is worked out from.
    areas: int = 0


@dataclass
class NationalSummary:
    year: ReportingYear
    values: dict[CellRef, CellValue]
    areas: list[Area]
    rate: NationalRate | None
    #: For each cell, how many areas gave a figure for it (the sum is theirs only).
    counts: dict[CellRef, int] = field(default_factory=dict)
    #: How many MAPPA areas there are.
    area_total: int = 42
    #: Each published area's rate per 100,000 (area slug → its rate cell), if the template has one.
    area_rates: dict[str, CellValue] = field(default_factory=dict)

    @property
    def published_count(self) -> int:
        return len(self.areas)

    def notes(self) -> dict[CellRef, str]:
        """ "34 of 42 areas" under each figure that not every area gave."""
        return {
            ref: f"{count} of {self.area_total} areas"
            for ref, count in self.counts.items()
            if 0 < count < self.area_total
        }


@dataclass
class _Published:
    """What the national summary needs of one area's current revision."""

    pk: int
    population_estimate: int | None
    area: Area


def national_summary(year: ReportingYear, at: datetime.datetime | None = None) -> NationalSummary:
    """Each cell of the year's return summed over the areas that gave a figure for it.

    Areas whose cell is not available or withheld are left out of that cell's sum, and the
    summary says how many areas each sum covers. A cell no area gave is `[x]`. The rate per
    100,000 is summed offenders over summed population of the areas that gave both. One query:
    every figure of the year's current revisions, with its area, and the number of areas.
    `at` sums what will be public then instead (pre-release reads the release time's view).
    """
    template = year.template
    rows = (
        current_figures(at, report__year=year)
        .annotate(area_total=Subquery(Area.objects.annotate(n=Window(Count("pk"))).values("n")[:1]))
        .values_list(
            "revision_id",
            "revision__population_estimate",
            "revision__report__area_id",
            "revision__report__area__name",
            "revision__report__area__slug",
            "revision__report__area__nation",
            "table",
            "row",
            "column",
            "status",
            "value",
            "area_total",
        )
    )
    published: dict[int, _Published] = {}
    cells: dict[int, dict[CellRef, CellValue]] = defaultdict(dict)
    totals: dict[CellRef, Decimal] = defaultdict(Decimal)
    counts: dict[CellRef, int] = defaultdict(int)
    area_total = None
    for pk, population, area_pk, name, slug, nation, *cell, status, value, areas in rows:
        area_total = areas
        if pk not in published:
            area = Area(pk=area_pk, name=name, slug=slug, nation=nation)
            published[pk] = _Published(pk, population, area)
        ref = CellRef(*cell)
        cells[pk][ref] = CellValue(CellStatus(status), value)
        if value is not None:
            totals[ref] += value
            counts[ref] += 1
    if area_total is None:  # nothing published yet
        area_total = Area.objects.count()
    values: dict[CellRef, CellValue] = {}
    shown: dict[CellRef, int] = {}
    if published:
        for ref, applicable in template.cells():
            if not applicable:
                values[ref] = CellValue(CellStatus.NOT_APPLICABLE)
                continue
            # A rate of one area plus a rate of another is no rate: only counts add up.
            additive = counts.get(ref) and template.is_additive(ref)
            shown[ref] = counts[ref] if additive else 0
            values[ref] = CellValue.of(totals[ref]) if additive else NOT_AVAILABLE
    revisions = list(published.values())
    rate = _national_rate(template, revisions, cells)
    area_rates: dict[str, CellValue] = {}
    if rate is not None and template.rate_rule is not None:
        ref = template.rate_rule.rate
        values[ref] = CellValue.of(rate.rate) if rate.rate is not None else NOT_AVAILABLE
        shown[ref] = rate.areas
        area_rates = {r.area.slug: cells[r.pk].get(ref, NOT_AVAILABLE) for r in revisions}
    return NationalSummary(
        year=year,
        values=values,
        areas=sorted((r.area for r in revisions), key=lambda a: a.name),
        rate=rate,
        counts=shown,
        area_total=area_total,
        area_rates=area_rates,
    )


def _national_rate(
    template: ReturnTemplate, revisions: list[_Published], cells: dict
) -> NationalRate | None:
    rule = template.rate_rule
    if rule is None or not revisions:
        return None
    offenders, population, areas = Decimal(0), 0, 0
    implied = []
    for revision in revisions:
        count = cells[revision.pk].get(rule.count)
        rate = cells[revision.pk].get(rule.rate)
        if count is None or count.value is None:
            continue
        if revision.population_estimate:
            population += revision.population_estimate
        elif rate is not None and rate.value:
            # The population behind the area's published rate: offenders per `per` of it.
            population += int((count.value * rule.per / rate.value).quantize(Decimal(1)))
            implied.append(revision.area.name)
        else:
            continue
        offenders += count.value
        areas += 1
    return NationalRate(
        expected_rate(offenders, population, rule.per, template.decimals(rule.rate))
        if population
        else None,
        offenders,
        population,
        implied,
        areas,
    )


def _cells_by_revision(
    revisions: Iterable[PublishedRevision], refs: Iterable[CellRef]
) -> dict[int, dict[CellRef, CellValue]]:
    """The given cells of each revision (one query)."""
    condition = Q()
    for ref in set(refs):
        condition |= Q(table=ref.table, row=ref.row, column=ref.column)
    result: dict[int, dict[CellRef, CellValue]] = defaultdict(dict)
    if not condition:
        return result
    figures = PublishedFigure.objects.filter(
        condition, revision__in=[r.pk for r in revisions]
    ).values_list("revision_id", "table", "row", "column", "status", "value")
    for revision_id, table, row, column, status, value in figures:
        result[revision_id][CellRef(table, row, column)] = CellValue(CellStatus(status), value)
    return result


def _series_cells(series: Iterable[Series], templates: Iterable[ReturnTemplate]) -> set[CellRef]:
    """Every cell the series need in the given templates (shares need their parts' cells)."""
    lookup = all_series()
    refs: set[CellRef] = set()
    for item in series:
        parts = [lookup[k] for k in item.share_of] if item.share_of else [item]
        for part in parts:
            for template in templates:
                refs.update(part.cells_in(template))
    return refs


# --- Series over time and areas side by side -----------------------------------------------


@dataclass
class SeriesPoint:
    """One year's value of a series, with the precision and any break in series there."""

    year: ReportingYear
    value: CellValue
    decimals: int
    #: Why the series breaks at this year ("" if it does not).
    break_reason: str = ""

    @property
    def display(self) -> str:
        return self.value.display(self.decimals)

    @property
    def text(self) -> str:
        return self.value.text(self.decimals)


def point(
    series: Series,
    year: ReportingYear,
    values: dict[CellRef, CellValue],
    previous: ReportingYear | None = None,
) -> SeriesPoint:
    """The series' point for one report of `year`.

    With `previous` (the area's previous published year), a break in any year between marks
    this point: an area's series may skip years.
    """
    template = year.template
    return SeriesPoint(
        year=year,
        value=series_value(series, template, values),
        decimals=series.decimals_in(template),
        break_reason=series_break(
            series, template, year.start_year, previous.start_year if previous else None
        ),
    )


def _area_points(
    series: Series, revisions: list[PublishedRevision], cells: dict
) -> list[SeriesPoint]:
    """One area's points in year order, each break marked where the area's series crosses it."""
    points = []
    previous = None
    for revision in revisions:
        year = revision.report.year
        item = point(series, year, cells[revision.pk], previous)
        if previous is None:
            item.break_reason = ""  # an area's first year has no earlier year to differ from
        points.append(item)
        previous = year
    return points


def area_trends(area: Area) -> tuple[list[ReportingYear], list[tuple[Series, list[SeriesPoint]]]]:
    """Every published year of an area and each headline series' points (two queries)."""
    revisions = list(
        current_revisions()
        .filter(report__area=area)
        .select_related("report__year")
        .order_by("report__year__start_year")
    )
    headline = [s for s in all_series().values() if s.headline]
    years = [r.report.year for r in revisions]
    templates = {year.template.key: year.template for year in years}
    cells = _cells_by_revision(revisions, _series_cells(headline, templates.values()))
    trends = [(item, _area_points(item, revisions, cells)) for item in headline]
    return years, trends


@dataclass
class AreaComparison:
    area: Area
    #: Series key → the area's point for the year.
    points: dict[str, SeriesPoint]

    @property
    def cells(self) -> list[SeriesPoint]:
        """The points in the order of the compared series."""
        return list(self.points.values())


def compare_series() -> list[Series]:
    """The series compared between areas, in the order of series.toml."""
    return [s for s in all_series().values() if s.compare]


def compare_areas(year: ReportingYear) -> list[AreaComparison]:
    """Every published area's compared series for a year (two queries)."""
    revisions = list(current_revisions().filter(report__year=year).select_related("report__area"))
    columns = compare_series()
    cells = _cells_by_revision(revisions, _series_cells(columns, [year.template]))
    return [
        AreaComparison(
            revision.report.area,
            {item.key: point(item, year, cells[revision.pk]) for item in columns},
        )
        for revision in revisions
    ]


@dataclass
class SeriesRow:
    """One area's point of a series in one year, for the series download and API."""

    area: Area
    point: SeriesPoint


def series_rows(series: Series, area: Area | None = None) -> list[SeriesRow]:
    """Every published point of `series`, by year then area (two queries)."""
    query = current_revisions().select_related("report__year", "report__area")
    if area is not None:
        query = query.filter(report__area=area)
    revisions = list(query.order_by("report__year__start_year", "report__area__name"))
    templates = {r.report.year.template.key: r.report.year.template for r in revisions}
    cells = _cells_by_revision(revisions, _series_cells([series], templates.values()))
    # Breaks are marked where each area's own series crosses one (areas skip years).
    by_area: dict[int, list[PublishedRevision]] = defaultdict(list)
    for revision in revisions:
        by_area[revision.report.area_id].append(revision)
    points = {
        revision.pk: item
        for area_revisions in by_area.values()
        for revision, item in zip(
            area_revisions, _area_points(series, area_revisions, cells), strict=True
        )
    }
    return [SeriesRow(r.report.area, points[r.pk]) for r in revisions]


@dataclass
class SeriesTable:
    """A series for every area and year: the public's view of one figure across the years."""

    series: Series
    years: list[ReportingYear]
    #: (area, its point for each year, None where it has no published report).
    rows: list[tuple[Area, list[SeriesPoint | None]]]
    #: For each year: the sum over the areas with a figure, and how many they are.
    totals: list[tuple[Decimal | None, int]]
    #: For each year: why the series breaks there ("" if it does not).
    breaks: list[str]

    @property
    def breaks_by_year(self) -> list[tuple[ReportingYear, str]]:
        return [
            (year, reason) for year, reason in zip(self.years, self.breaks, strict=True) if reason
        ]


def series_table(series: Series) -> SeriesTable:
    """Every published point of `series`, areas by years, with each year's sum (two queries)."""
    points = series_rows(series)
    years = sorted({row.point.year for row in points}, key=lambda y: y.start_year)
    column = {year.pk: n for n, year in enumerate(years)}
    by_area: dict[int, tuple[Area, list[SeriesPoint | None]]] = {}
    for row in points:
        _, cells = by_area.setdefault(row.area.pk, (row.area, [None] * len(years)))
        cells[column[row.point.year.pk]] = row.point
    totals: list[tuple[Decimal | None, int]] = []
    for n in range(len(years) if series.additive else 0):
        numbers = [
            number
            for _, cells in by_area.values()
            if (point := cells[n]) is not None and (number := point.value.value) is not None
        ]
        totals.append((sum(numbers, Decimal(0)) if numbers else None, len(numbers)))
    breaks = [
        series_break(series, year.template, year.start_year, years[n - 1].start_year) if n else ""
        for n, year in enumerate(years)
    ]
    rows = sorted(by_area.values(), key=lambda item: item[0].name)
    return SeriesTable(series, years, rows, totals, breaks)
