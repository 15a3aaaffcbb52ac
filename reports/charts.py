"""Server-drawn SVG line charts: no JavaScript, and always shown with a table of the figures.

A break in series is drawn as a gap in the line, the first point after it as a square with
"[b]" beside it: the figures either side are not comparable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

WIDTH, HEIGHT = 640, 260
MIN_LABEL_GAP = 56
# Room on the left for "100,000" at 14px, on the right for half a year label ("2023-24").
LEFT, RIGHT, TOP, BOTTOM = 72, 36, 16, 40


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    label: str
    value: Decimal
    #: The series breaks here: the line does not join this point to the one before.
    is_break: bool = False
    #: Whether the year is written under the point (not when labels would overlap).
    show_label: bool = True

    @property
    def gap_x(self) -> float:
        """Where the dashed line marking a break stands: just before the point."""
        return self.x - 12

    @property
    def marker(self) -> tuple[float, float]:
        """The top-left corner of the square drawn for a point after a break."""
        return self.x - 5, self.y - 5


@dataclass(frozen=True)
class LineChart:
    points: tuple[ChartPoint, ...]
    #: (y position, label) of the horizontal grid lines.
    gridlines: tuple[tuple[float, str], ...]
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def path(self) -> str:
        return " ".join(
            f"{'M' if n == 0 or p.is_break else 'L'}{p.x:.1f},{p.y:.1f}"
            for n, p in enumerate(self.points)
        )

    @property
    def baseline(self) -> float:
        return self.height - BOTTOM

    @property
    def left(self) -> int:
        return LEFT

    @property
    def right(self) -> int:
        return self.width - RIGHT


def line_chart(
    series: list[tuple[str, Decimal | int | None, bool]], places: list[int] | None = None
) -> LineChart | None:
    """A chart of (label, value, is_break) points; gaps (None) are left out.

    `places` put each point along the axis (the years' start years, so that years with no
    report leave room); by default the points are evenly spaced. None if there is nothing to
    draw. A break also separates the points either side of a gap.
    """
    known: list[tuple[int, str, Decimal | int, bool]] = []
    pending_break = False
    for n, (label, value, is_break) in enumerate(series):
        pending_break = pending_break or is_break
        if value is not None:
            # The first point drawn has no line before it to break.
            known.append((n, label, value, pending_break and bool(known)))
            pending_break = False
    if not known:
        return None
    largest = max(Decimal(value) for _, _, value, _ in known)
    whole = all(Decimal(value) == int(value) for _, _, value, _ in known)
    ticks = nice_ticks(largest, whole=whole)
    top = float(ticks[-1])
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    places = places or list(range(len(series)))
    low, span = min(places), max(places) - min(places)
    x = [LEFT + (p - low) * plot_width / span if span else LEFT + plot_width / 2 for p in places]
    step = plot_width / span if span else plot_width
    # Years are about 50 px wide: write every n-th so that they never overlap.
    every = max(1, math.ceil(MIN_LABEL_GAP / step))
    points = tuple(
        ChartPoint(
            x=x[n],
            y=TOP + plot_height * (1 - float(value) / top),
            label=label,
            value=Decimal(value),
            is_break=is_break,
            show_label=_labelled(places, n, every),
        )
        for n, label, value, is_break in known
    )
    gridlines = tuple((TOP + plot_height * (1 - float(tick) / top), f"{tick:,}") for tick in ticks)
    return LineChart(points=points, gridlines=gridlines)


def _labelled(places: list[int], n: int, every: int) -> bool:
    """Whether point `n` has its year written: the first and the last always, others every
    `every` years back from the last, never so close to the first that they overlap it."""
    first, last, place = places[0], places[-1], places[n]
    if place in (first, last):
        return True
    return (last - place) % every == 0 and place - first >= every


def nice_ticks(largest: Decimal | int, *, whole: bool = True, most: int = 5) -> list[Decimal]:
    """The gridlines of an axis from 0 to at least `largest`: "nice numbers", evenly spaced.

    The step is the smallest of 1, 2 or 5 × 10ⁿ that reaches `largest` in at most `most`
    steps, so the labels read 0, 10, 20 … or 0, 500, 1,000 …, never 0, 7, 14. For `whole`
    figures (counts) the step is at least 1; rates may step by 0.1. An axis of nothing but
    zeros still runs from 0 to a step above it.
    """
    largest = max(Decimal(largest), Decimal(0))
    floor = Decimal(1) if whole else Decimal("0.1")
    target = max(largest, floor)
    exponent = math.floor(math.log10(target / most)) if target / most > 0 else 0
    while True:
        for multiple in (1, 2, 5):
            step = Decimal(multiple).scaleb(exponent)
            if step < floor:
                continue
            count = math.ceil(target / step)
            if count <= most:
                count = max(count, 1)
                # `normalize` writes 1E+3 as such; quantising to the step keeps it "1000".
                places = Decimal(1).scaleb(min(exponent, 0))
                return [(step * n).quantize(places) for n in range(count + 1)]
        exponent += 1
