"""Charts drawn on the server as inline SVG: bars for rankings, an area line for days.

Every chart is an image with a spoken summary (``role="img"`` and ``aria-label``); each bar
or day carries its exact figure in a ``<title>``, shown on hover. The SVG comes from Jinja
templates (``templates/insights/_*_chart.svg``), which escape every label. The same figures are in a
table under each chart, for screen readers and for copying. Colours come from kb.css classes,
so the charts follow the site's palette and need no inline style (the CSP forbids it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from flask import render_template
from flask_babel import format_decimal
from flask_babel import gettext as _
from markupsafe import Markup

WIDTH = 640
LABEL_WIDTH = 210
VALUE_WIDTH = 90
ROW_HEIGHT = 26
BAR_HEIGHT = 16
LINE_HEIGHT = 220
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 52, 12, 12, 30
# Labels are 12 px text; at about 7 px a character, 27 fit in the label column.
CHAR_WIDTH = 7
MAX_LABEL = 27
LINE_STEP = 14
SPOKEN_ITEMS = 5


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its length, and the figure written next to it."""

    label: str
    value: float
    text: str


@dataclass(frozen=True)
class Point:
    """One day of a line chart; ``value`` None when there is nothing to plot that day."""

    day: date
    label: str
    value: float | None
    text: str


def bar_chart(title: str, bars: Sequence[Bar], summary: str = "") -> Markup:
    """A horizontal bar chart, longest bar at full width, labels on the left.

    A long label wraps onto a second line and is shortened only past that, with the whole
    label in the row's hover title; the value column grows with the longest figure.
    """
    if not bars:
        return Markup("")
    longest = max((bar.value for bar in bars), default=0) or 1
    value_width = max(VALUE_WIDTH, max(len(bar.text) for bar in bars) * CHAR_WIDTH + 12)
    span = WIDTH - LABEL_WIDTH - value_width
    rows, y = [], 4
    for bar in bars:
        lines = _wrap(bar.label)
        height = ROW_HEIGHT + (len(lines) - 1) * LINE_STEP
        length = max(bar.value, 0) / longest * span
        rows.append({"bar": bar, "lines": lines, "y": y, "height": height,
                     "bar_y": y + (height - BAR_HEIGHT) / 2, "length": round(length, 1)})
        y += height
    return _svg("insights/_bar_chart.svg", title=title, summary=summary or _spoken(title, bars),
                height=y + 4, rows=rows, label_x=LABEL_WIDTH - 8, plot_x=LABEL_WIDTH,
                bar_height=BAR_HEIGHT, line_step=LINE_STEP)


def line_chart(
    title: str, points: Sequence[Point], top: float | None = None,
    axis: Callable[[float], str] | None = None, summary: str = "",
) -> Markup:
    """An area chart of one figure per day; gaps where a day has no figure.

    ``top`` fixes the height of the scale (1.0 for rates), ``axis`` writes its three marks.
    """
    if not points:
        return Markup("")
    values = [p.value for p in points if p.value is not None]
    highest = (top if top is not None else max(values, default=0)) or 1
    plot_w = WIDTH - PLOT_LEFT - PLOT_RIGHT
    plot_h = LINE_HEIGHT - PLOT_TOP - PLOT_BOTTOM
    step = plot_w / len(points)
    base = PLOT_TOP + plot_h

    def x(i: int) -> float:
        return round(PLOT_LEFT + step * (i + 0.5), 1)

    def y(v: float) -> float:
        return round(base - v / highest * plot_h, 1)

    grid = [{"y": round(base - f * plot_h, 1), "label": (axis or _figure)(highest * f)} for f in (0, 0.5, 1)]
    runs = []
    for run in _runs(points):
        line = " ".join(f"{x(i)},{y(v)}" for i, v in run)
        runs.append({"line": line, "area": f"{x(run[0][0])},{base} {line} {x(run[-1][0])},{base}",
                     "dot": (x(run[0][0]), y(run[0][1])) if len(run) == 1 else None})
    last = len(points) - 1
    ticks = [{"x": x(i), "label": points[i].label,
              "anchor": "start" if i == 0 else "end" if i == last else "middle"}
             for i in sorted({0, len(points) // 2, last})]
    hits = [{"x": round(PLOT_LEFT + step * i, 1), "point": p} for i, p in enumerate(points)]
    return _svg("insights/_line_chart.svg", title=title, summary=summary or _spoken_days(title, points),
                height=LINE_HEIGHT, grid=grid, runs=runs, ticks=ticks, hits=hits, step=round(step, 2),
                left=PLOT_LEFT, right=WIDTH - PLOT_RIGHT, top=PLOT_TOP, plot_h=plot_h,
                tick_y=LINE_HEIGHT - 8)


def _svg(template: str, **context: object) -> Markup:
    """Render a chart template; Jinja escapes every label and figure (``.svg`` autoescapes)."""
    return Markup(render_template(template, width=WIDTH, **context))  # nosec B704


def _wrap(label: str) -> list[str]:
    """The label on one line, or two, the second shortened with an ellipsis if still too long."""
    if len(label) <= MAX_LABEL:
        return [label]
    cut = label.rfind(" ", 0, MAX_LABEL + 1)
    cut = cut if cut > MAX_LABEL // 2 else MAX_LABEL
    first, rest = label[:cut].rstrip(), label[cut:].strip()
    return [first, _short(rest)]


def _runs(points: Sequence[Point]) -> list[list[tuple[int, float]]]:
    """Consecutive days that have a figure, as (position, value) lists."""
    runs: list[list[tuple[int, float]]] = []
    current: list[tuple[int, float]] = []
    for i, point in enumerate(points):
        if point.value is None:
            if current:
                runs.append(current)
            current = []
        else:
            current.append((i, point.value))
    if current:
        runs.append(current)
    return runs


def _spoken(title: str, bars: Sequence[Bar]) -> str:
    """The chart's title and its first few bars, for screen readers."""
    shown = "; ".join(f"{bar.label}: {bar.text}" for bar in bars[:SPOKEN_ITEMS])
    if len(bars) > SPOKEN_ITEMS:
        shown += "; " + _("and %(count)d more", count=len(bars) - SPOKEN_ITEMS)
    return f"{title}. {shown}."


def _spoken_days(title: str, points: Sequence[Point]) -> str:
    """The chart's title, its first and last day, and its highest day."""
    known = [p for p in points if p.value is not None]
    span = _("%(title)s, from %(first)s to %(last)s",
             title=title, first=points[0].label, last=points[-1].label)
    if not known:
        return span + "."
    peak = max(known, key=lambda p: p.value or 0)
    return span + "; " + _("highest on %(day)s: %(figure)s.", day=peak.label, figure=peak.text)


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"


def _figure(value: float) -> str:
    return str(format_decimal(value, format="#,##0" if value >= 10 else "#,##0.#"))
