"""Server-drawn SVG line charts: no JavaScript, and always shown with a table of the figures.

A break in series is drawn as a gap in the line, the first point after it as a square with
"[b]" beside it: the figures either side are not comparable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

WIDTH, HEIGHT = 640, 260
MIN_LABEL_GAP = 56
LEFT, RIGHT, TOP, BOTTOM = 56, 36, 16, 40


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
    step_value, top = _ticks(int(largest.to_integral_value(rounding=ROUND_CEILING)))
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
    gridlines = tuple(
        (TOP + plot_height * (1 - tick / top), f"{tick:,}")
        for tick in range(0, top + 1, step_value)
    )
    return LineChart(points=points, gridlines=gridlines)


def _labelled(places: list[int], n: int, every: int) -> bool:
    """Whether point `n` has its year written: the first and the last always, others every
    `every` years back from the last, never so close to the first that they overlap it."""
    first, last, place = places[0], places[-1], places[n]
    if place in (first, last):
        return True
    return (last - place) % every == 0 and place - first >= every


def _ticks(value: int) -> tuple[int, int]:
    """A round step (1, 2 or 5 × 10ⁿ) giving 3 to 6 gridlines, and the top of the axis."""
    value = max(value, 4)
    magnitude = 10 ** (len(str(value)) - 1)
    for step in (magnitude // 10 or 1, magnitude // 5 or 1, magnitude // 2 or 1, magnitude,
                 2 * magnitude, 5 * magnitude):  # fmt: skip
        top = -(-value // step) * step
        if top // step <= 5:
            return step, top
    return 10 * magnitude, 10 * magnitude
