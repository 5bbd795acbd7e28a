"""Bar charts drawn on the server as SVG, for the reports page and the Annual Report PDF alike.

No script and no ``style`` attribute (the Content-Security-Policy forbids inline style): colours
and sizes are SVG presentation attributes, which the static stylesheet's ``.sps-chart`` rules may
override. Each chart is an image with a name and a description (``role="img"``, ``<title>`` and
``<desc>`` named by ``aria-labelledby``) that says every figure in words, and the table it draws
always sits beside it, so nothing is only in the picture. Every text is escaped here.

A chart is drawn from published figures only: a suppressed figure has no bar, just its ``*``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

BAR_COLOUR = "#1d70b8"  # GOV.UK blue, 4.5:1 and more against white
TEXT_COLOUR = "#0b0c0c"
# About the width of half a GOV.UK page, where the chart sits beside its table: drawn near its own
# size there, so its text stays as legible as the table's.
WIDTH = 480
ROW_HEIGHT = 32
BAR_HEIGHT = 20
VALUE_SPACE = 56
FONT_SIZE = 14
CHARACTER_WIDTH = 7.4  # an average character at FONT_SIZE in a sans-serif face, for laying out labels
# Characters, so a label fits in half the width: longer ones are cut short in the picture (the
# table beside it has them whole).
LABEL_LIMIT = 30


@dataclass(frozen=True)
class Bar:
    label: str
    value: int | None  # the published figure; None where it is suppressed
    shown: str  # the figure as the table shows it: "0", "*" or a multiple of 5


def _short(label: str) -> str:
    return label if len(label) <= LABEL_LIMIT else label[: LABEL_LIMIT - 1].rstrip() + "…"


def bar_chart(chart_id: str, title: str, bars: Sequence[Bar]) -> Markup:
    """A horizontal bar chart of ``bars``: ``chart_id`` must be unique on the page (it prefixes
    the ids of the chart's title and description)."""
    labels = [_short(bar.label) for bar in bars]
    label_width = min(WIDTH // 2, int(max((len(label) for label in labels), default=0) * CHARACTER_WIDTH) + 12)
    bar_space = WIDTH - label_width - VALUE_SPACE
    largest = max((bar.value or 0 for bar in bars), default=0)
    height = ROW_HEIGHT * len(bars) + 8
    description = "; ".join(f"{bar.label}: {bar.shown}" for bar in bars)
    if any(bar.value is None for bar in bars):
        description += ". * means from 1 to 7, too few to show."
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sps-chart" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'font-family="Liberation Sans, DejaVu Sans, Arial, sans-serif" font-size="{FONT_SIZE}" fill="{TEXT_COLOUR}">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>',
    ]
    for index, (bar, label) in enumerate(zip(bars, labels, strict=True)):
        top = 4 + index * ROW_HEIGHT
        middle = top + ROW_HEIGHT / 2
        length = round(bar_space * (bar.value or 0) / largest) if largest else 0
        parts.append('<g class="sps-chart__row">')
        parts.append(
            f'<text class="sps-chart__label" x="{label_width - 8}" y="{middle}" text-anchor="end" '
            f'dominant-baseline="middle">{escape(label)}</text>'
        )
        if length:
            parts.append(
                f'<rect class="sps-chart__bar" x="{label_width}" y="{middle - BAR_HEIGHT / 2}" '
                f'width="{length}" height="{BAR_HEIGHT}" fill="{BAR_COLOUR}"/>'
            )
        parts.append(
            f'<text class="sps-chart__value" x="{label_width + length + 6}" y="{middle}" '
            f'dominant-baseline="middle">{escape(bar.shown)}</text>'
        )
        parts.append("</g>")
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text and attribute above is escaped
