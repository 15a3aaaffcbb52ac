"""Change checks: a report's figures against the published history of the same figures.

A figure is flagged when its change since the area's previous published year is unlike what
is typical. "Typical" is calibrated on what has been published, cell by cell:

- **across areas** (`Rule.ACROSS_AREAS`): every area's published year-on-year changes of the
  same cell, in every year but the one checked. A change is measured as a log ratio (a rise of
  25% and a fall of 20% are the same size); its robust z-score is its distance from the median
  in units of the scaled median absolute deviation (MAD × 1.4826, which is the standard
  deviation for normal data but is not pulled by the outliers it is meant to find). At
  `CHECK_Z` it is worth a check, at `UNUSUAL_Z` it is unusual.
- **a fall in a figure that rarely falls** (`Rule.RARE_FALL`): a stock such as Category 1
  registered sex offenders on 31 March rises almost every year, so a fall of more than
  `FALL_TOLERANCE` is worth a check even when its size alone is not unusual.
- **the area's own series** (`Rule.OWN_SERIES`): with at least `OWN_MIN_CHANGES` changes of
  its own, a change far from the area's own median change is worth a check.
- **too little history** (`Rule.LARGE_CHANGE`): with fewer than `MIN_CHANGES` published
  changes to learn from, or from or to 0, the old fixed rule: a change of more than half.

Changes of fewer than `MIN_CHANGE` are never flagged (small counts move by a few as a matter of
course), and nothing is compared across a break in series. docs/change-checks.md states the
rule and what it flags in the real published figures.

The pure part (`Typical`, `typical_changes`, `check_against_history`) takes the history as
plain mappings; the rest reads it from the public revisions, once per public-state generation.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import models

from . import public_state
from .returns import CellRef, CellValue, ReturnTemplate, all_templates, format_number

if TYPE_CHECKING:
    from .models import AnnualReport, ChangeAcknowledgement, ReportingYear

#: A change of fewer than this many (people, orders, …) is never flagged.
MIN_CHANGE = 5
#: Published year-on-year changes of a cell, across areas, needed to calibrate on them.
MIN_CHANGES = 10
#: The area's own published changes of a cell needed to compare with its own series.
OWN_MIN_CHANGES = 3
#: Robust z-scores from which a change is worth a check, and unusual.
CHECK_Z = 3.0
UNUSUAL_Z = 5.0
#: Turns a median absolute deviation into a standard deviation (for normal data).
MAD_SCALE = 1.4826
#: The least spread assumed (as a log ratio, about 1%): changes that were all alike so far
#: do not make every small difference unusual.
MIN_SPREAD = 0.01
#: A figure "rarely falls" when at most this share of its published changes were falls…
RARE_FALL_SHARE = 0.25
#: …and then a fall of more than this share (a year) is worth a check.
FALL_TOLERANCE = 0.02
#: With too little history: a change of more than this share is worth a check.
LARGE_SHARE = Decimal("0.5")
#: The area's previous years shown beside a flagged figure.
SERIES_YEARS = 5


class Severity(models.TextChoices):
    CHECK = "check", "Check"
    UNUSUAL = "unusual", "Unusual"


class Rule(models.TextChoices):
    ACROSS_AREAS = "areas", "Unlike other areas' changes"
    RARE_FALL = "fall", "A fall in a figure that rarely falls"
    OWN_SERIES = "own", "Unlike the area's own changes"
    LARGE_CHANGE = "large", "A large change"


@dataclass(frozen=True)
class Typical:
    """What is typical of one cell's year-on-year changes (log ratios)."""

    changes: int
    median: float
    spread: float
    falls: int

    @classmethod
    def of(cls, changes: Iterable[float], least_spread: float = MIN_SPREAD) -> Typical:
        values = list(changes)
        median = statistics.median(values)
        mad = statistics.median(abs(v - median) for v in values)
        return cls(
            changes=len(values),
            median=median,
            spread=max(MAD_SCALE * mad, least_spread),
            falls=sum(v < 0 for v in values),
        )

    def z(self, change: float) -> float:
        """How many spreads `change` (a log ratio) is from the median."""
        return (change - self.median) / self.spread

    @property
    def band(self) -> tuple[float, float]:
        """The changes not flagged, as shares (−0.045, 0.112): within `CHECK_Z` spreads."""
        return (
            math.expm1(self.median - CHECK_Z * self.spread),
            math.expm1(self.median + CHECK_Z * self.spread),
        )

    @property
    def rarely_falls(self) -> bool:
        return self.falls <= RARE_FALL_SHARE * self.changes


@dataclass(frozen=True)
class ChangeWarning:
    """One flagged figure: which cell, by which rule, how severe, and why in words."""

    cell: CellRef
    rule: Rule
    severity: Severity
    message: str
    before: Decimal
    now: Decimal
    before_year: int

    @property
    def cells(self) -> tuple[CellRef, ...]:
        return (self.cell,)

    @property
    def change(self) -> float:
        """The change as a share of the figure before (0.2 for a rise of 20%)."""
        return float(self.now / self.before - 1) if self.before else math.inf

    @property
    def change_text(self) -> str:
        """The change in a word or two: "+20%", "−5.1%", "from 0"."""
        return _percent(self.change, signed=True) if self.before else "from 0"

    @property
    def before_label(self) -> str:
        return _year_label(self.before_year)

    @property
    def figure(self) -> str:
        """The figure flagged, as an acknowledgement records it."""
        return CellValue.of(self.now).shorthand

    @property
    def key(self) -> tuple[CellRef, str]:
        return (self.cell, self.rule.value)


#: Area → year → value: one cell's published numbers.
AreaSeries = Mapping[int, Mapping[int, Decimal]]


@dataclass(frozen=True)
class PublishedHistory:
    """Every published number of every cell, and where cells break in series."""

    #: Cell → area id → start year → value (the latest public revision of each report).
    values: Mapping[CellRef, AreaSeries]
    #: Start year → the cells whose definition changed at its start (not comparable with the
    #: year before).
    breaks: Mapping[int, frozenset[CellRef]]

    def comparable(self, ref: CellRef, earlier: int, later: int) -> bool:
        """Whether `ref` means the same in both years: no break after `earlier`, up to `later`."""
        return not any(ref in self.breaks.get(y, ()) for y in range(earlier + 1, later + 1))

    def series(self, ref: CellRef, area: int) -> Mapping[int, Decimal]:
        return self.values.get(ref, {}).get(area, {})


def log_change(before: Decimal, now: Decimal, years: int = 1) -> float:
    """The change from `before` to `now` as a log ratio a year (both must be more than 0)."""
    return math.log(now / before) / years


def year_on_year(
    history: PublishedHistory, ref: CellRef, series: Mapping[int, Decimal], leave_out: int
) -> list[float]:
    """One area's changes of `ref` between consecutive published years, except into `leave_out`,
    never across a break or from or to 0."""
    return [
        log_change(series[year - 1], value)
        for year, value in series.items()
        if year != leave_out
        and year - 1 in series
        and series[year - 1] > 0
        and value > 0
        and history.comparable(ref, year - 1, year)
    ]


def typical_changes(history: PublishedHistory, year: int) -> dict[CellRef, Typical]:
    """Every cell's typical year-on-year change across areas, leaving out changes into `year`
    (the year being checked: its own figures are what is checked against the rest)."""
    typical = {}
    for ref, areas in history.values.items():
        changes = [
            change
            for series in areas.values()
            for change in year_on_year(history, ref, series, leave_out=year)
        ]
        if changes:
            typical[ref] = Typical.of(changes)
    return typical


def _percent(share: float, signed: bool = False) -> str:
    """12% or 2.8% (a decimal place below 10%), with + or − when `signed`."""
    size = abs(share) * 100
    text = f"{size:.1f}%" if round(size, 1) < 10 else f"{size:.0f}%"
    if text in {"0.0%", "0%"}:
        return "0%"
    if not signed:
        return text
    return ("−" if share < 0 else "+") + text


def _year_label(start: int) -> str:
    return f"{start}-{(start + 1) % 100:02d}"


def check_against_history(
    template: ReturnTemplate,
    values: Mapping[CellRef, CellValue],
    *,
    year: int,
    area: int,
    area_name: str,
    history: PublishedHistory,
    typical: Mapping[CellRef, Typical],
) -> list[ChangeWarning]:
    """The change warnings of one area's figures for the year starting `year`: at most one per
    cell, the first rule that flags it (in the order of `Rule`)."""
    warnings = []
    for ref, _ in template.cells():
        value = values.get(ref)
        if value is None or value.value is None:
            continue
        own = history.series(ref, area)
        earlier = [y for y in own if y < year]
        if not earlier:
            continue
        before_year = max(earlier)
        if not history.comparable(ref, before_year, year):
            continue  # and every year before it is across the break too
        warning = _check_cell(
            template,
            ref,
            before=own[before_year],
            now=value.value,
            before_year=before_year,
            year=year,
            area_name=area_name,
            typical=typical.get(ref),
            own_changes=year_on_year(history, ref, own, leave_out=year),
        )
        if warning is not None:
            warnings.append(warning)
    return warnings


def _check_cell(
    template: ReturnTemplate,
    ref: CellRef,
    *,
    before: Decimal,
    now: Decimal,
    before_year: int,
    year: int,
    area_name: str,
    typical: Typical | None,
    own_changes: list[float],
) -> ChangeWarning | None:
    if abs(now - before) < MIN_CHANGE:
        return None
    places = template.decimals(ref)
    gap = year - before_year

    def warning(rule: Rule, severity: Severity, typically: str) -> ChangeWarning:
        number = lambda n: format_number(n, places, grouping=True)  # noqa: E731
        direction = "rose" if now > before else "fell"
        share = float(now / before - 1) if before else 0.0
        since = f" in {gap} years" if gap > 1 else ""
        size = f" {_percent(share)}{since}" if before else ""
        yearly = ""
        if gap > 1 and before and now:
            yearly = f", {_percent(math.expm1(log_change(before, now, gap)), signed=True)} a year"
        message = (
            f"{template.describe(ref)} {direction}{size} (from {number(before)} in "
            f"{_year_label(before_year)} to {number(now)}){yearly}; {typically}."
        )
        return ChangeWarning(ref, rule, severity, message, before, now, before_year)

    if before == 0 or now == 0 or typical is None or typical.changes < MIN_CHANGES:
        if before and abs(now - before) / before <= LARGE_SHARE:
            return None
        known = typical.changes if typical else 0
        return warning(
            Rule.LARGE_CHANGE,
            Severity.CHECK,
            f"there are too few published year-on-year changes of this figure across areas "
            f"({known}) to know what is typical, so changes of more than {LARGE_SHARE:.0%} "
            "are flagged"
            if before and now
            else "a change from or to 0 is flagged when it is 5 or more",
        )
    change = log_change(before, now, gap)
    low, high = (_percent(share, signed=True) for share in typical.band)
    z = typical.z(change)
    if abs(z) >= CHECK_Z:
        return warning(
            Rule.ACROSS_AREAS,
            Severity.UNUSUAL if abs(z) >= UNUSUAL_Z else Severity.CHECK,
            f"across areas this figure usually changes between {low} and {high} a year",
        )
    if change < math.log1p(-FALL_TOLERANCE) and typical.rarely_falls:
        return warning(
            Rule.RARE_FALL,
            Severity.CHECK,
            f"across areas this figure rarely falls ({typical.falls} of {typical.changes} "
            "published year-on-year changes were falls)",
        )
    if len(own_changes) >= OWN_MIN_CHANGES:
        own = Typical.of(own_changes, least_spread=typical.spread)
        if abs(own.z(change)) >= CHECK_Z:
            own_low, own_high = (_percent(share, signed=True) for share in own.band)
            return warning(
                Rule.OWN_SERIES,
                Severity.CHECK,
                f"in {area_name} this figure usually changes between {own_low} and "
                f"{own_high} a year",
            )
    return None


# --- From the database ---------------------------------------------------------------------


def _load_history() -> PublishedHistory:
    from .models import PublishedFigure, PublishedRevision, ReportingYear
    from .returns import CellStatus, cells_breaking_between, get_template

    values: dict[CellRef, dict[int, dict[int, Decimal]]] = {}
    figures = (
        PublishedFigure.objects.filter(
            revision__in=PublishedRevision.objects.public(), status=CellStatus.VALUE
        )
        .order_by("revision__number")  # a correction's figures replace the first revision's
        .values_list(
            "revision__report__area_id",
            "revision__report__year__start_year",
            "table",
            "row",
            "column",
            "value",
        )
    )
    for area, year, table, row, column, value in figures:
        # Through CellValue for one spelling of each number (the database gives 1374.000).
        number = CellValue(CellStatus.VALUE, value).value
        assert number is not None  # the query asks for numbers only
        values.setdefault(CellRef(table, row, column), {}).setdefault(area, {})[year] = number
    known = all_templates()
    breaks = {
        start: frozenset(cells_breaking_between(get_template(key), start - 1, start))
        for start, key in ReportingYear.objects.values_list("start_year", "return_template")
        if key in known
    }
    # Years without a row still break where a template starts.
    for template in known.values():
        breaks.setdefault(template.first_year, frozenset(template.breaks))
    return PublishedHistory(values=values, breaks=breaks)


def published_history() -> PublishedHistory:
    """Every public figure, read once per public-state generation (two queries)."""
    return public_state.memo(("change_checks", "history"), _load_history)


def typical_for_year(year: int) -> dict[CellRef, Typical]:
    """`typical_changes` for the year starting `year`, worked out once per generation."""
    return public_state.memo(
        ("change_checks", "typical", year), lambda: typical_changes(published_history(), year)
    )


def warnings_for(
    report: AnnualReport,
    values: Mapping[CellRef, CellValue] | None = None,
    history: PublishedHistory | None = None,
    typical: Mapping[CellRef, Typical] | None = None,
) -> list[ChangeWarning]:
    """The change warnings of `report`'s figures (its stored ones unless `values` are given;
    the published history and what is typical in it are read unless given)."""
    start = report.year.start_year
    return check_against_history(
        report.template,
        report.cell_values() if values is None else values,
        year=start,
        area=report.area_id,
        area_name=report.area.name,
        history=history or published_history(),
        typical=typical_for_year(start) if typical is None else typical,
    )


def series_before(
    report: AnnualReport, ref: CellRef, history: PublishedHistory
) -> list[tuple[str, str]]:
    """The area's published figures of `ref` in the `SERIES_YEARS` years before the report's,
    as (year label, figure), oldest first, up to a break in series."""
    start = report.year.start_year
    own = history.series(ref, report.area_id)
    places = report.template.decimals(ref)
    years = sorted(
        (y for y in own if y < start and history.comparable(ref, y, start)), reverse=True
    )[:SERIES_YEARS]
    return [(_year_label(y), format_number(own[y], places, grouping=True)) for y in sorted(years)]


@dataclass(frozen=True)
class FlaggedFigure:
    """A change warning with its report, its explanation (if current) and the area's series."""

    report: AnnualReport
    warning: ChangeWarning
    description: str
    acknowledgement: ChangeAcknowledgement | None
    #: The area's earlier published figures, as (year label, figure).
    series: list[tuple[str, str]]
    #: The figure flagged, as printed.
    now_display: str

    @property
    def explained(self) -> bool:
        return self.acknowledgement is not None


def current_acknowledgement(
    warning: ChangeWarning, acknowledgements: Mapping[tuple[CellRef, str], ChangeAcknowledgement]
) -> ChangeAcknowledgement | None:
    """The acknowledgement of `warning`, if it explains the figure as it is now."""
    found = acknowledgements.get(warning.key)
    return found if found is not None and found.figure == warning.figure else None


def _flagged(
    report: AnnualReport,
    warnings: list[ChangeWarning],
    acknowledgements: Mapping[tuple[CellRef, str], ChangeAcknowledgement],
    history: PublishedHistory,
) -> list[FlaggedFigure]:
    template = report.template
    return [
        FlaggedFigure(
            report=report,
            warning=warning,
            description=template.describe(warning.cell),
            acknowledgement=current_acknowledgement(warning, acknowledgements),
            series=series_before(report, warning.cell, history),
            now_display=format_number(warning.now, template.decimals(warning.cell), grouping=True),
        )
        for warning in warnings
    ]


def flagged_figures(
    report: AnnualReport, values: Mapping[CellRef, CellValue] | None = None
) -> list[FlaggedFigure]:
    """`report`'s change warnings, each with its explanation and the area's series."""
    history = published_history()
    warnings = warnings_for(report, values, history)
    if not warnings:
        return []
    acknowledgements = {a.key: a for a in report.change_acknowledgements.select_related("by")}
    return _flagged(report, warnings, acknowledgements, history)


def flagged_in_year(year: ReportingYear) -> list[FlaggedFigure]:
    """Every flagged figure of every report of `year`, by area (three queries besides the
    history, whatever the number of reports)."""
    from .models import AnnualReport, ChangeAcknowledgement, Figure

    reports = list(AnnualReport.objects.filter(year=year).select_related("area", "year"))
    values: dict[int, dict[CellRef, CellValue]] = {}
    for figure in Figure.objects.filter(report__year=year):
        values.setdefault(figure.report_id, {})[figure.ref] = figure.cell_value
    acknowledgements: dict[int, dict[tuple[CellRef, str], ChangeAcknowledgement]] = {}
    for acknowledgement in ChangeAcknowledgement.objects.filter(report__year=year).select_related(
        "by"
    ):
        acknowledgements.setdefault(acknowledgement.report_id, {})[acknowledgement.key] = (
            acknowledgement
        )
    history = published_history()
    typical = typical_for_year(year.start_year)
    flagged = []
    for report in reports:
        warnings = warnings_for(report, values.get(report.pk, {}), history, typical)
        flagged += _flagged(report, warnings, acknowledgements.get(report.pk, {}), history)
    return flagged
