"""A small server-drawn line chart for the recovery pages: points in SVG coordinates, drawn by
``templates/recovery/capital/_line_chart.html`` next to a table of the same numbers (no
script; DESIGN.md "Leaders get charts where trends matter, with the numbers beside them")."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 640, 240, 150, 16, 16, 34


@dataclass
class LineChart:
    title: str
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    top: int = TOP
    base: int = HEIGHT - BOTTOM
    points: list[dict[str, Any]] = field(default_factory=list)
    polyline: str = ""
    y_ticks: list[dict[str, Any]] = field(default_factory=list)
    x_labels: list[dict[str, Any]] = field(default_factory=list)
    references: list[dict[str, Any]] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.points

    @property
    def first(self) -> dict[str, Any] | None:
        return self.points[0] if self.points else None

    @property
    def last(self) -> dict[str, Any] | None:
        return self.points[-1] if self.points else None


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


def line_chart(
    points: list[tuple[date, float]],
    *,
    low: float,
    high: float,
    title: str,
    ticks: list[tuple[float, str]] | None = None,
    references: list[tuple[float, str]] | None = None,
) -> LineChart:
    """Points (date, value) placed evenly left to right in date order, on a y axis from
    ``low`` to ``high``; references are dashed horizontal lines with their labels."""
    chart = LineChart(title=title)
    span = (high - low) or 1
    inner_w = chart.right - chart.left
    inner_h = chart.base - chart.top

    def y(value: float) -> float:
        return round(chart.base - inner_h * (value - low) / span, 2)

    ordered = sorted(points, key=lambda p: p[0])
    n = len(ordered)
    step = inner_w / (n - 1) if n > 1 else 0
    for i, (on, value) in enumerate(ordered):
        x = round(chart.left + (i * step if n > 1 else inner_w / 2), 2)
        chart.points.append({"x": x, "y": y(value), "on": on, "value": _fmt(value)})
    chart.polyline = " ".join(f"{p['x']},{p['y']}" for p in chart.points)
    tick_values = ticks or [
        (low, _fmt(low)),
        ((low + high) / 2, _fmt((low + high) / 2)),
        (high, _fmt(high)),
    ]
    chart.y_ticks = [{"y": y(v), "label": label} for v, label in tick_values]
    every = max(1, n // 6)
    chart.x_labels = [
        {"x": p["x"], "text": f"{p['on']:%Y-%m-%d}"}
        for i, p in enumerate(chart.points)
        if i % every == 0 or i == n - 1
    ]
    chart.references = [
        {"y": y(v), "value": _fmt(v), "label": label}
        for v, label in (references or [])
        if low <= v <= high
    ]
    return chart
