"""Charts drawn on the server as inline SVG: no script, and no style attribute (the console's
Content-Security-Policy allows neither), only presentation attributes.

Each chart is an image with a name and a description (``role="img"``, ``aria-labelledby`` its
``<title>`` and ``<desc>``); the page puts a table of the same numbers beside it, which is what
a screen reader reads. The charts are 340 units wide and drawn at that size, so a phone (375 px
less the page's margins) shows them at full size and their text at 12 to 14 px; a wider
screen shows them beside their table. Colours are the NHS palette; text is NHS black or the
secondary grey, each well over 4.5:1 on white, and every bar colour over 3:1.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

BLUE = "#005eb8"
GREEN = "#007f3b"
RED = "#d5281b"
PURPLE = "#330072"
GREY = "#4c6272"
TEXT = "#212b32"
LINE = "#d8dde0"

WIDTH = 340
LABEL_CHARACTERS = 44  # a longer name is cut short in the chart (the table has it whole)


@dataclass(frozen=True, slots=True)
class Series:
    """One set of bars: its name (for the legend), colour, values and the values as written."""

    name: str
    colour: str
    values: Sequence[float | None]
    shown: Sequence[str]


def _number(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _start(chart_id: str, title: str, description: str, height: float) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="console-chart" id="{escape(chart_id)}" '
        f'width="{WIDTH}" height="{_number(height)}" viewBox="0 0 {WIDTH} {_number(height)}" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" focusable="false">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>',
    ]


def _text(x: float, y: float, words: str, size: int = 14, anchor: str = "start", colour: str = TEXT) -> str:
    return (
        f'<text x="{_number(x)}" y="{_number(y)}" font-size="{size}" fill="{colour}" '
        f'text-anchor="{anchor}" font-family="Frutiger W01, Arial, sans-serif">{escape(words)}</text>'
    )


def _legend(series: Sequence[Series], y: float) -> list[str]:
    parts, x = [], 0.0
    for one in series:
        parts.append(
            f'<rect x="{_number(x)}" y="{_number(y - 11)}" width="12" height="12" fill="{one.colour}"/>'
        )
        parts.append(_text(x + 17, y, one.name, 13))
        x += 17 + 8 * len(one.name) + 16
    return parts


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARACTERS else label[: LABEL_CHARACTERS - 1].rstrip() + "…"


def bars(
    chart_id: str,
    title: str,
    description: str,
    labels: Sequence[str],
    series: Sequence[Series],
    maximum: float | None = None,
) -> Markup:
    """Horizontal bars, each label on a line above its bars (one bar per series), the value
    written at the bar's end: it reads at a phone's width however long the names are."""
    bar, gap, label_height, room = 14, 3, 20, 64  # room: for the value written after a bar
    top = 22 if len(series) > 1 else 0
    row = label_height + len(series) * (bar + gap) + 10
    height = top + row * max(len(labels), 1)
    values = [v for one in series for v in one.values if v is not None]
    biggest = maximum if maximum is not None else max(values, default=0)
    scale = (WIDTH - room) / biggest if biggest > 0 else 0
    parts = _start(chart_id, title, description, height)
    if len(series) > 1:
        parts.extend(_legend(series, 14))
    for i, label in enumerate(labels):
        y = top + i * row
        parts.append(_text(0, y + 15, _short(label)))
        for j, one in enumerate(series):
            value = one.values[i]
            bar_y = y + label_height + j * (bar + gap)
            length = max(value or 0, 0) * scale
            if length:
                parts.append(
                    f'<rect x="0" y="{_number(bar_y)}" width="{_number(length)}" height="{bar}" '
                    f'fill="{one.colour}"/>'
                )
            parts.append(_text(length + 5, bar_y + bar - 2, one.shown[i], 13))
    parts.append("</svg>")
    return Markup("".join(parts))


def columns(
    chart_id: str,
    title: str,
    description: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    ticks: Sequence[tuple[float, str]],
    colour: str = BLUE,
) -> Markup:
    """Vertical columns against a scale (``ticks``: value and its label, the last the top),
    for a series over time; a value of None draws no column. Some labels are left out along
    the bottom when there are too many to read."""
    left, right, top, plot, below = 40, 6, 8, 160, 26
    height = top + plot + below
    topmost = ticks[-1][0] if ticks else max((v for v in values if v is not None), default=1) or 1
    parts = _start(chart_id, title, description, height)
    for value, words in ticks:
        y = top + plot - value / topmost * plot
        parts.append(
            f'<line x1="{left}" x2="{WIDTH - right}" y1="{_number(y)}" y2="{_number(y)}" stroke="{LINE}"/>'
        )
        parts.append(_text(left - 5, y + 4, words, 12, "end", GREY))
    n = max(len(values), 1)
    step = (WIDTH - left - right) / n
    width = min(max(step * 0.7, 1), 24)
    every = max(1, math.ceil(n / 5))  # about five labels along the bottom
    for i, value in enumerate(values):
        x = left + i * step + (step - width) / 2
        if value is not None and value > 0:
            tall = min(value, topmost) / topmost * plot
            parts.append(
                f'<rect x="{_number(x)}" y="{_number(top + plot - tall)}" width="{_number(width)}" '
                f'height="{_number(tall)}" fill="{colour}"/>'
            )
        if i % every == 0:
            anchor = "start" if i == 0 and n > 1 else "middle"
            at = x if anchor == "start" else x + width / 2
            parts.append(_text(at, top + plot + 18, labels[i], 12, anchor, GREY))
    parts.append(
        f'<line x1="{left}" x2="{WIDTH - right}" y1="{top + plot}" y2="{top + plot}" stroke="{GREY}"/>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))
