"""Trend charts: round gridlines ("nice numbers"), labels inside the drawing, years in order."""

import itertools
import re
from decimal import Decimal

import pytest

from reports.charts import LEFT, WIDTH, line_chart, nice_ticks
from tests.factories import make_report, make_year


@pytest.mark.parametrize(
    ("largest", "ticks"),
    [
        (83, ["0", "20", "40", "60", "80", "100"]),
        (100, ["0", "20", "40", "60", "80", "100"]),
        (388, ["0", "100", "200", "300", "400"]),
        (1691, ["0", "500", "1000", "1500", "2000"]),
        (45, ["0", "10", "20", "30", "40", "50"]),
        (7, ["0", "2", "4", "6", "8"]),
        (3, ["0", "1", "2", "3"]),
        (12345, ["0", "5000", "10000", "15000"]),
    ],
)
def test_gridlines_step_by_one_two_or_five_times_a_power_of_ten(largest, ticks):
    assert [str(t) for t in nice_ticks(largest)] == ticks


@pytest.mark.parametrize("largest", [1, 9, 10, 11, 99, 101, 999, 1001, 4321, 70000, 123456])
def test_gridlines_reach_the_largest_figure_in_at_most_five_round_steps(largest):
    ticks = nice_ticks(largest)
    step = ticks[1] - ticks[0]
    assert ticks[0] == 0
    assert ticks[-1] >= largest > ticks[-2]
    assert len(ticks) - 1 <= 5
    assert all(b - a == step for a, b in itertools.pairwise(ticks))
    assert step / Decimal(10) ** (len(str(int(step))) - 1) in {1, 2, 5}


def test_counts_never_step_by_fractions_and_rates_may():
    assert [str(t) for t in nice_ticks(2)] == ["0", "1", "2"]
    assert [str(t) for t in nice_ticks(Decimal("0.4"), whole=False)] == [
        "0.0",
        "0.1",
        "0.2",
        "0.3",
        "0.4",
    ]


def test_a_series_of_zeros_still_has_an_axis_above_it():
    assert [str(t) for t in nice_ticks(0)] == ["0", "1"]
    chart = line_chart([("2010-11", 0, False), ("2011-12", 0, False)])
    assert chart is not None
    assert [label for _, label in chart.gridlines] == ["0", "1"]


def test_chart_gridline_labels_are_round_and_the_top_one_is_above_the_largest_point():
    chart = line_chart([("2010-11", 1691, False), ("2011-12", 1702, False)])
    assert chart is not None
    assert [label for _, label in chart.gridlines] == ["0", "500", "1,000", "1,500", "2,000"]
    assert min(p.y for p in chart.points) > min(y for y, _ in chart.gridlines)


def test_labels_fit_inside_the_drawing():
    chart = line_chart([(f"20{n:02}-{n + 1:02}", 99999, False) for n in range(10, 24)])
    assert chart is not None
    widest = max(len(label) for _, label in chart.gridlines)
    # 14px figures are at most 8px wide; they end 8px left of the plot.
    assert widest * 8 <= LEFT - 8
    last = chart.points[-1]
    assert last.x + len(last.label) * 8 / 2 <= WIDTH


def test_the_area_page_draws_the_years_in_order(client, db):
    # Published out of order: the page still reads from the earliest year to the latest.
    for start in (2012, 2010, 2011):
        make_report("kent", year=make_year(start))
    html = client.get("/areas/kent/").content.decode()
    chart = re.search(r'<svg class="app-chart".*?</svg>', html, re.S)
    assert chart is not None
    years = re.findall(r'text-anchor="middle">(20\d\d-\d\d)<', chart.group(0))
    assert years == ["2010-11", "2011-12", "2012-13"]
    ticks = re.findall(r'text-anchor="end" dominant-baseline="middle">([\d,]+)<', chart.group(0))
    assert ticks[0] == "0" and len(ticks) <= 6
