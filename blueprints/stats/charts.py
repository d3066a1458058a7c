"""Server-drawn SVG bar charts, no script and no library: the geometry is worked out here (plain values in, plain
values out) and templates/stats/_charts.html draws it."""
from __future__ import annotations

from dataclasses import dataclass

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 8, 10, 38  # room for the axis labels
BAR_SHARE = 0.7  # of each slot; the rest is the gap between bars
MAX_TICKS = 5


@dataclass(frozen=True)
class Point:
    """One bar to draw: the label under it, a second line (e.g. the year, under January), the value, the tooltip,
    and whether it belongs to the highlighted series (e.g. the latest twelve months)."""

    label: str
    value: int
    sub_label: str = ""
    title: str = ""
    highlight: bool = False


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    title: str
    highlight: bool


@dataclass(frozen=True)
class AxisLabel:
    x: float
    y: float
    text: str


@dataclass(frozen=True)
class BarChart:
    key: str
    title: str
    width: int
    height: int
    left: int
    right: int
    baseline: float
    bars: list[Bar]
    ticks: list[AxisLabel]  # y: the grid line; text: its value
    labels: list[AxisLabel]


def nice_step(value: float) -> int:
    """The smallest 1, 2 or 5 × 10ⁿ at least `value` (at least 1: counts are whole)."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def axis_top(largest: int) -> tuple[int, int]:
    """(top of the axis, step between grid lines): a round top just above the largest value, ≤ MAX_TICKS steps."""
    step = nice_step(largest / (MAX_TICKS - 1))
    steps = max(1, -(-largest // step))
    return step * steps, step


def bar_chart(key: str, title: str, points: list[Point]) -> BarChart:
    """Bars of `points` left to right over a value axis from 0 to a round top."""
    top, step = axis_top(max((point.value for point in points), default=0))
    plot_height = HEIGHT - TOP - BOTTOM
    baseline = TOP + plot_height
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(points))
    bars, labels = [], []
    for index, point in enumerate(points):
        height = round(plot_height * point.value / top, 1)
        centre = LEFT + slot * (index + 0.5)
        bars.append(Bar(round(centre - slot * BAR_SHARE / 2, 1), round(baseline - height, 1),
                        round(slot * BAR_SHARE, 1), height, point.title or f"{point.label}: {point.value}",
                        point.highlight))
        labels.append(AxisLabel(round(centre, 1), baseline + 14, point.label))
        if point.sub_label:
            labels.append(AxisLabel(round(centre, 1), baseline + 28, point.sub_label))
    ticks = [AxisLabel(LEFT - 6, round(baseline - plot_height * value / top, 1), f"{value:,}")
             for value in range(0, top + 1, step)]
    return BarChart(key, title, WIDTH, HEIGHT, LEFT, WIDTH - RIGHT, baseline, bars, ticks, labels)
