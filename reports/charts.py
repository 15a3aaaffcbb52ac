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
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 40


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


def line_chart(series: list[tuple[str, Decimal | int | None, bool]]) -> LineChart | None:
    """A chart of (label, value, is_break) points; gaps (None) are left out.

    None if there is nothing to draw. A break also separates the points either side of a gap.
    """
    known = []
    pending_break = False
    for label, value, is_break in series:
        pending_break = pending_break or is_break
        if value is not None:
            known.append((label, value, pending_break))
            pending_break = False
    if not known:
        return None
    largest = max(Decimal(value) for _, value, _ in known)
    top = _nice_ceiling(int(largest.to_integral_value(rounding=ROUND_CEILING)))
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    step = plot_width / max(len(series) - 1, 1)
    positions = {label: LEFT + n * step if len(series) > 1 else LEFT + plot_width / 2
                 for n, (label, _, _) in enumerate(series)}  # fmt: skip
    # Years are about 50 px wide: write every n-th so that they never overlap.
    every = max(1, math.ceil(MIN_LABEL_GAP / step)) if len(series) > 1 else 1
    order = {label: n for n, (label, _, _) in enumerate(series)}
    points = tuple(
        ChartPoint(
            x=positions[label],
            y=TOP + plot_height * (1 - float(value) / top),
            label=label,
            value=Decimal(value),
            is_break=is_break,
            show_label=(len(series) - 1 - order[label]) % every == 0,
        )
        for label, value, is_break in known
    )
    gridlines = tuple(
        (TOP + plot_height * (1 - fraction), f"{round(top * fraction):,}")
        for fraction in (0, 0.25, 0.5, 0.75, 1)
    )
    return LineChart(points=points, gridlines=gridlines)


def _nice_ceiling(value: int) -> int:
    """A round number at least `value` (and at least 4), for the top of the axis."""
    value = max(value, 4)
    magnitude = 10 ** (len(str(value)) - 1)
    for multiple in (1, 2, 2.5, 5, 10):
        candidate = int(multiple * magnitude)
        if candidate >= value:
            return candidate
    return 10 * magnitude
