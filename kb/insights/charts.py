"""Charts drawn on the server as inline SVG: bars for rankings, an area line for days.

Every chart is an image with a spoken summary (``role="img"`` and ``aria-label``); each bar
or day carries its exact figure in a ``<title>``, shown on hover. The same figures are in a
table under each chart, for screen readers and for copying. Colours come from kb.css classes,
so the charts follow the site's palette and need no inline style (the CSP forbids it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from flask_babel import format_decimal
from flask_babel import gettext as _
from markupsafe import Markup, escape

WIDTH = 640
LABEL_WIDTH = 210
VALUE_WIDTH = 90
ROW_HEIGHT = 26
BAR_HEIGHT = 16
LINE_HEIGHT = 220
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 52, 12, 12, 30
MAX_LABEL = 34
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
    """A horizontal bar chart, longest bar at full width, labels on the left."""
    if not bars:
        return Markup("")
    height = len(bars) * ROW_HEIGHT + 8
    longest = max((bar.value for bar in bars), default=0) or 1
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    parts = [_open_svg(title, summary or _spoken(title, bars), height)]
    for index, bar in enumerate(bars):
        y = 4 + index * ROW_HEIGHT
        length = max(bar.value, 0) / longest * span
        parts.append(
            f'<g class="chart-row"><title>{escape(bar.label)}: {escape(bar.text)}</title>'
            f'<rect class="chart-hit" x="0" y="{y}" width="{WIDTH}" height="{ROW_HEIGHT}"/>'
            f'<text class="chart-label" x="{LABEL_WIDTH - 8}" y="{y + 17}" text-anchor="end">'
            f"{escape(_short(bar.label))}</text>"
            f'<rect class="chart-bar" x="{LABEL_WIDTH}" y="{y + 5}" width="{length:.1f}" '
            f'height="{BAR_HEIGHT}" rx="2"/>'
            f'<text class="chart-value" x="{LABEL_WIDTH + length + 6:.1f}" y="{y + 17}">'
            f"{escape(bar.text)}</text></g>"
        )
    parts.append("</svg>")
    # Every text and attribute value above went through escape(); the rest is our own markup.
    return Markup("".join(parts))  # nosec B704


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
    highest = top if top is not None else max(values, default=0)
    highest = highest or 1
    plot_w = WIDTH - PLOT_LEFT - PLOT_RIGHT
    plot_h = LINE_HEIGHT - PLOT_TOP - PLOT_BOTTOM
    step = plot_w / len(points)
    base = PLOT_TOP + plot_h

    def x(i: int) -> float:
        return PLOT_LEFT + step * (i + 0.5)

    def y(v: float) -> float:
        return base - v / highest * plot_h

    parts = [_open_svg(title, summary or _spoken_days(title, points), LINE_HEIGHT)]
    for fraction in (0, 0.5, 1):
        gy = base - fraction * plot_h
        label = (axis or _figure)(highest * fraction)
        parts.append(
            f'<line class="chart-grid" x1="{PLOT_LEFT}" x2="{WIDTH - PLOT_RIGHT}" '
            f'y1="{gy:.1f}" y2="{gy:.1f}"/>'
            f'<text class="chart-axis" x="{PLOT_LEFT - 6}" y="{gy + 4:.1f}" text-anchor="end">'
            f"{escape(label)}</text>"
        )
    for run in _runs(points):
        line = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in run)
        area = f"{x(run[0][0]):.1f},{base:.1f} {line} {x(run[-1][0]):.1f},{base:.1f}"
        parts.append(f'<polygon class="chart-area" points="{area}"/>')
        parts.append(f'<polyline class="chart-line" points="{line}"/>')
        if len(run) == 1:
            i, v = run[0]
            parts.append(f'<circle class="chart-dot" cx="{x(i):.1f}" cy="{y(v):.1f}" r="3"/>')
    for i in sorted({0, len(points) // 2, len(points) - 1}):
        anchor = "start" if i == 0 else "end" if i == len(points) - 1 else "middle"
        parts.append(
            f'<text class="chart-axis" x="{x(i):.1f}" y="{LINE_HEIGHT - 8}" '
            f'text-anchor="{anchor}">{escape(points[i].label)}</text>'
        )
    for i, point in enumerate(points):
        parts.append(
            f'<rect class="chart-hit" x="{PLOT_LEFT + step * i:.1f}" y="{PLOT_TOP}" '
            f'width="{step:.2f}" height="{plot_h}"><title>{escape(point.label)}: '
            f"{escape(point.text)}</title></rect>"
        )
    parts.append("</svg>")
    # Every text and attribute value above went through escape(); the rest is our own markup.
    return Markup("".join(parts))  # nosec B704


def _open_svg(title: str, summary: str, height: int) -> str:
    return (
        f'<svg class="chart" role="img" aria-label="{escape(summary)}" '
        f'viewBox="0 0 {WIDTH} {height}" preserveAspectRatio="xMinYMin meet" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    )


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
