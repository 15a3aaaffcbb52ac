"""Published figures across reports: the national picture, areas over time, comparisons.

Everything here reads only the current public revision of each report (`current_revisions`),
so unpublished or not-yet-released figures cannot reach a total. Queries are a fixed number
per page, whatever the number of areas and years.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum

from .models import Area, PublishedFigure, PublishedRevision, ReportingYear
from .returns import CellRef, CellStatus, CellValue, ReturnTemplate
from .validation import expected_rate


def current_revisions() -> QuerySet[PublishedRevision]:
    """The latest public revision of every published report."""
    latest = (
        PublishedRevision.objects.public()
        .filter(report=OuterRef("report"))
        .order_by("-number")
        .values("pk")[:1]
    )
    return PublishedRevision.objects.public().filter(pk=Subquery(latest))


@dataclass
class NationalRate:
    rate: int | None
    offenders: int
    population: int
    #: Areas whose population was not given, for which the one implied by their rate is used.
    implied: list[str]


@dataclass
class NationalSummary:
    year: ReportingYear
    values: dict[CellRef, CellValue]
    areas: list[Area]
    rate: NationalRate | None

    @property
    def published_count(self) -> int:
        return len(self.areas)


def national_summary(year: ReportingYear) -> NationalSummary:
    """Each table of the year's return summed over the areas published for it.

    A cell is `[x]` nationally when any published area's is not available or withheld: a
    partial sum would mislead. The rate per 100,000 is summed offenders over summed population.
    """
    template = year.template
    revisions = list(current_revisions().filter(report__year=year).select_related("report__area"))
    not_number = ~Q(status=CellStatus.VALUE) & ~Q(status=CellStatus.NOT_APPLICABLE)
    sums = (
        PublishedFigure.objects.filter(revision__in=[r.pk for r in revisions])
        .values("table", "row", "column")
        .annotate(total=Sum("value"), unknown=Count("pk", filter=not_number))
    )
    values: dict[CellRef, CellValue] = {}
    not_applicable = set(template.not_applicable_cells())
    for cell in sums:
        ref = CellRef(cell["table"], cell["row"], cell["column"])
        if ref in not_applicable:
            values[ref] = CellValue(CellStatus.NOT_APPLICABLE)
        elif cell["unknown"]:
            values[ref] = CellValue(CellStatus.NOT_AVAILABLE)
        else:
            values[ref] = CellValue.of(cell["total"] or 0)
    rate = _national_rate(template, revisions)
    if rate is not None and template.rate_rule is not None:
        values[template.rate_rule.rate] = (
            CellValue.of(rate.rate)
            if rate.rate is not None
            else CellValue(CellStatus.NOT_AVAILABLE)
        )
    areas = sorted((r.report.area for r in revisions), key=lambda a: a.name)
    return NationalSummary(year=year, values=values, areas=areas, rate=rate)


def _national_rate(
    template: ReturnTemplate, revisions: list[PublishedRevision]
) -> NationalRate | None:
    rule = template.rate_rule
    if rule is None or not revisions:
        return None
    cells = _cells_by_revision(revisions, [rule.count, rule.rate])
    offenders = population = 0
    implied = []
    for revision in revisions:
        count = cells[revision.pk].get(rule.count)
        rate = cells[revision.pk].get(rule.rate)
        if count is None:
            return NationalRate(None, 0, 0, [])
        offenders += count
        if revision.population_estimate:
            population += revision.population_estimate
        elif rate:
            # The population behind the area's published rate: offenders per `per` of it.
            population += int((Decimal(count) * rule.per / rate).quantize(Decimal(1)))
            implied.append(revision.report.area.name)
        else:
            return NationalRate(None, offenders, 0, [])
    return NationalRate(
        expected_rate(offenders, population, rule.per) if population else None,
        offenders,
        population,
        implied,
    )


def _cells_by_revision(
    revisions: list[PublishedRevision], refs: list[CellRef]
) -> dict[int, dict[CellRef, int]]:
    """The numeric values of a few cells for each revision (one query)."""
    condition = Q()
    for ref in refs:
        condition |= Q(table=ref.table, row=ref.row, column=ref.column)
    result: dict[int, dict[CellRef, int]] = defaultdict(dict)
    figures = PublishedFigure.objects.filter(
        condition, revision__in=[r.pk for r in revisions], status=CellStatus.VALUE
    ).values_list("revision_id", "table", "row", "column", "value")
    for revision_id, table, row, column, value in figures:
        result[revision_id][CellRef(table, row, column)] = value
    return result


# --- Areas over time and areas side by side ------------------------------------------------

#: The main figures followed over time, each the sum of the listed cells.
TREND_SERIES = (
    (
        "Registered sex offenders on 31 March",
        (CellRef("eligible_offenders", "total", "category_1"),),
    ),
    (
        "Offenders managed at Level 2 or 3 during the year",
        (CellRef("levels_2_3_yearly", "total", "total"),),
    ),
    (
        "Returns to custody (breach of licence or SOPO)",
        (
            CellRef("returns_to_custody", "licence_total", "total"),
            CellRef("returns_to_custody", "sopo_total", "total"),
        ),
    ),
)  # fmt: skip


@dataclass
class TrendPoint:
    year: ReportingYear
    value: int | None


def area_trends(area: Area) -> tuple[list[ReportingYear], list[tuple[str, list[TrendPoint]]]]:
    """Every published year of an area and the main figures for each (two queries)."""
    revisions = list(
        current_revisions()
        .filter(report__area=area)
        .select_related("report__year")
        .order_by("report__year__start_year")
    )
    refs = [ref for _, cells in TREND_SERIES for ref in cells]
    cells = _cells_by_revision(revisions, refs)
    years = [r.report.year for r in revisions]
    series = []
    for label, parts in TREND_SERIES:
        points = []
        for revision in revisions:
            numbers = [cells[revision.pk].get(ref) for ref in parts]
            value = None if None in numbers else sum(numbers)  # type: ignore[arg-type]
            points.append(TrendPoint(revision.report.year, value))
        series.append((label, points))
    return years, series


COMPARE_CELLS = {
    "total": CellRef("eligible_offenders", "total", "total"),
    "rsos": CellRef("eligible_offenders", "total", "category_1"),
    "level_2": CellRef("eligible_offenders", "level_2", "total"),
    "level_3": CellRef("eligible_offenders", "level_3", "total"),
    "rate": CellRef("rso_rate", "per_100000", "number"),
}


@dataclass
class AreaComparison:
    area: Area
    total: int | None
    rsos: int | None
    rate: int | None
    level_2_3_share: Decimal | None


def compare_areas(year: ReportingYear) -> list[AreaComparison]:
    """Every published area's headline figures for a year (two queries)."""
    revisions = list(current_revisions().filter(report__year=year).select_related("report__area"))
    cells = _cells_by_revision(revisions, list(COMPARE_CELLS.values()))
    rows = []
    for revision in revisions:
        got = {name: cells[revision.pk].get(ref) for name, ref in COMPARE_CELLS.items()}
        share = None
        if got["total"] and got["level_2"] is not None and got["level_3"] is not None:
            share = (Decimal(got["level_2"] + got["level_3"]) * 100 / got["total"]).quantize(
                Decimal("0.1")
            )
        rows.append(
            AreaComparison(revision.report.area, got["total"], got["rsos"], got["rate"], share)
        )
    return rows
