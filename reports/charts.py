"""Server-drawn SVG line charts: no JavaScript, and always shown with a table of the figures."""

from __future__ import annotations

from dataclasses import dataclass

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 40


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    label: str
    value: int


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
            f"{'M' if n == 0 else 'L'}{p.x:.1f},{p.y:.1f}" for n, p in enumerate(self.points)
        )

    @property
    def baseline(self) -> float:
        return self.height - BOTTOM


def line_chart(series: list[tuple[str, int | None]]) -> LineChart | None:
    """A chart of (label, value) pairs; gaps (None) are left out. None if nothing to draw."""
    known = [(label, value) for label, value in series if value is not None]
    if not known:
        return None
    top = _nice_ceiling(max(value for _, value in known))
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    step = plot_width / max(len(series) - 1, 1)
    positions = {label: LEFT + n * step if len(series) > 1 else LEFT + plot_width / 2
                 for n, (label, _) in enumerate(series)}  # fmt: skip
    points = tuple(
        ChartPoint(
            x=positions[label],
            y=TOP + plot_height * (1 - value / top),
            label=label,
            value=value,
        )
        for label, value in known
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
