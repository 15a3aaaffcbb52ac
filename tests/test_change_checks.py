"""The change checks: a figure against other areas' changes and its own area's series."""

from decimal import Decimal

import pytest

from reports.change_checks import (
    MIN_CHANGES,
    PublishedHistory,
    Rule,
    Severity,
    check_against_history,
    typical_changes,
)
from reports.models import AnnualReport
from reports.returns import CellRef, CellValue, get_template
from reports.workflow import readiness
from tests.factories import consistent_figures, make_report, make_year

RSOS = CellRef("eligible_offenders", "total", "category_1")
ALL = CellRef("eligible_offenders", "total", "total")
TEMPLATE = get_template("2016-17")
#: Twelve areas whose Category 1 count grew 2–6% a year, 2016-17 to 2020-21.
STEADY = {area: [0.02 + 0.01 * ((area + n) % 5) for n in range(4)] for area in range(1, 13)}


def history_of(
    growth: dict[int, list[float]], *, start: int = 2016, breaks: dict | None = None
) -> PublishedHistory:
    """Each area's published Category 1 counts: 10,000 in `start`, then growing as given."""
    values = {}
    for area, rates in growth.items():
        figure, series = Decimal(10_000), {start: Decimal(10_000)}
        for n, rate in enumerate(rates, start=1):
            figure = (figure * Decimal(str(1 + rate))).quantize(Decimal(1))
            series[start + n] = figure
        values[area] = series
    return PublishedHistory(values={RSOS: values}, breaks=breaks or {})


def check(history: PublishedHistory, area: int, now: int, year: int = 2021):
    """The warning (or None) for `area` reporting `now` for the year starting `year`."""
    warnings = check_against_history(
        TEMPLATE,
        {RSOS: CellValue.of(now)},
        year=year,
        area=area,
        area_name="Kent",
        history=history,
        typical=typical_changes(history, year),
    )
    assert len(warnings) <= 1
    return warnings[0] if warnings else None


def last(history: PublishedHistory, area: int) -> Decimal:
    series = history.series(RSOS, area)
    return series[max(series)]


def test_a_change_like_other_areas_changes_is_not_flagged():
    history = history_of(STEADY)
    assert check(history, 1, round(last(history, 1) * Decimal("1.05"))) is None
    assert check(history, 1, round(last(history, 1) * Decimal("1.00"))) is None


def test_a_change_far_from_other_areas_changes_is_worth_a_check_and_further_is_unusual():
    history = history_of(STEADY)
    before = last(history, 1)
    worth_a_check = check(history, 1, round(before * Decimal("1.10")))
    assert (worth_a_check.rule, worth_a_check.severity) == (Rule.ACROSS_AREAS, Severity.CHECK)
    unusual = check(history, 1, round(before * Decimal("1.20")))
    assert (unusual.rule, unusual.severity) == (Rule.ACROSS_AREAS, Severity.UNUSUAL)
    fall = check(history, 1, round(before * Decimal("0.82")))
    assert (fall.rule, fall.severity) == (Rule.ACROSS_AREAS, Severity.UNUSUAL)
    assert fall.message == (
        "MAPPA-eligible offenders on 31 March: Total, Category 1: Registered sex offenders "
        f"fell 18% (from {before:,} in 2020-21 to {round(before * Decimal('0.82')):,}); "
        "across areas this figure usually changes between −0.4% and +8.6% a year."
    )


def test_a_fall_in_a_figure_that_rarely_falls_is_worth_a_check_though_its_size_is_not():
    # Changes of +1% to +13% a year: a fall of 3% is well within their spread, but none fell.
    wide = {area: [0.01 + 0.03 * ((area + n) % 5) for n in range(4)] for area in range(1, 13)}
    history = history_of(wide)
    before = last(history, 1)
    fall = check(history, 1, round(before * Decimal("0.97")))
    assert (fall.rule, fall.severity) == (Rule.RARE_FALL, Severity.CHECK)
    assert "across areas this figure rarely falls (0 of 48 published" in fall.message
    # A fall of up to 2% is within the tolerance for counting.
    assert check(history, 1, round(before * Decimal("0.985"))) is None


def test_a_change_unlike_the_areas_own_series_is_worth_a_check():
    # Kent (area 1) grew 8% every year, more than most; this year it grew 1%, which is
    # ordinary for other areas but not for Kent.
    history = history_of({**STEADY, 1: [0.08] * 4})
    flagged = check(history, 1, round(last(history, 1) * Decimal("1.01")))
    assert (flagged.rule, flagged.severity) == (Rule.OWN_SERIES, Severity.CHECK)
    assert "in Kent this figure usually changes between +3.4% and +13% a year" in flagged.message
    # Another area with its own ordinary history is not flagged for the same change.
    assert check(history, 2, round(last(history, 2) * Decimal("1.01"))) is None


def test_with_too_little_history_only_changes_of_more_than_half_are_flagged():
    thin = history_of({area: STEADY[area] for area in (1, 2)})  # 8 changes, fewer than 10
    assert sum(len(v) for v in [STEADY[1], STEADY[2]]) < MIN_CHANGES
    before = last(thin, 1)
    assert check(thin, 1, round(before * Decimal("1.4"))) is None
    flagged = check(thin, 1, round(before * Decimal("1.6")))
    assert (flagged.rule, flagged.severity) == (Rule.LARGE_CHANGE, Severity.CHECK)
    assert flagged.message.endswith(
        "; there are too few published year-on-year changes of this figure across areas (8) "
        "to know what is typical, so changes of more than 50% are flagged."
    )


def test_a_change_from_or_to_zero_is_flagged_when_it_is_five_or_more():
    history = history_of(STEADY)
    history.values[RSOS][13] = {2020: Decimal(0)}
    flagged = check(history, 13, 7)
    assert flagged.rule == Rule.LARGE_CHANGE
    assert "rose (from 0 in 2020-21 to 7)" in flagged.message
    assert flagged.change_text == "from 0"
    assert check(history, 13, 4) is None


def test_changes_of_fewer_than_five_are_never_flagged():
    # Twelve areas that counted 10 two years running: from 10, a rise of 4 is 40%, but small.
    history = PublishedHistory(
        values={RSOS: {a: {2019: Decimal(10), 2020: Decimal(10)} for a in range(1, 13)}},
        breaks={},
    )
    assert check(history, 1, 14) is None
    assert check(history, 1, 15) is not None


def test_a_gap_in_the_areas_series_is_compared_a_year_at_a_time():
    history = history_of(STEADY)
    del history.values[RSOS][1][2020]
    before = history.values[RSOS][1][2019]
    # 8% over two years is 3.9% a year: typical.
    assert check(history, 1, round(before * Decimal("1.08"))) is None
    flagged = check(history, 1, round(before * Decimal("1.30")))
    assert "rose 30% in 2 years (from" in flagged.message and "+14% a year" in flagged.message


def test_nothing_is_compared_across_a_break_in_series():
    # The count broke at 2020-21: the area's change into it is not checked, and no area's
    # change across the break counts towards what is typical.
    jumpy = {area: [0.03, 0.03, 0.03, 0.9] for area in range(1, 13)}
    broken = history_of(jumpy, breaks={2020: frozenset({RSOS})})
    assert check(broken, 1, 99_999, year=2020) is None
    typical = typical_changes(broken, 2021)[RSOS]
    assert typical.changes == 12 * 3 and typical.median == pytest.approx(0.0296, abs=1e-3)
    # Without the break, the jumps would count (and a 3% rise would look like a fall).
    assert typical_changes(history_of(jumpy), 2021)[RSOS].changes == 12 * 4


@pytest.mark.django_db
def test_a_report_is_never_compared_across_a_templates_break(db):
    """2023-24 added Category 4: the totals broke, Category 1 did not."""
    before = consistent_figures(make_year(2022).template)
    make_report("kent", year=make_year(2022), figures=before)
    now = consistent_figures(make_year(2023).template)
    now[ALL] = CellValue.of(before[ALL].value * 3 + 50)
    now[RSOS] = CellValue.of(before[RSOS].value * 3 + 50)
    draft = make_report("kent", year=make_year(2023), figures={}, status=AnnualReport.Status.DRAFT)
    from reports.figures import replace_figures

    replace_figures(draft, now)
    flagged = {w.cell for w in readiness(draft).warnings}
    assert RSOS in flagged
    assert ALL not in flagged
