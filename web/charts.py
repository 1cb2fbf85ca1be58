"""Server-rendered SVG charts: readable without JavaScript, every bar a link to what is
behind its number, each with a <title> and a visible value so the figure is never only a
shape. Values come from Kho's own figures, but labels may come from agencies' data, so
everything is escaped."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

__all__ = ["Bar", "bar_chart"]

_ROW = 28
_LABEL_W = 210
_BAR_W = 380
_VALUE_W = 120


@dataclass(frozen=True)
class Bar:
    label: str
    value: float  # a fraction (0..1) when `percent`, else a count
    href: str | None = None
    target: float | None = None  # a marker drawn on the bar (a fraction when `percent`)
    caption: str | None = None  # the value as written beside the bar (default: computed)


def _fmt(value: float, percent: bool) -> str:
    return f"{100 * value:.1f}%" if percent else f"{value:,.0f}".replace(",", ".")


def bar_chart(
    bars: Sequence[Bar], *, title: str, percent: bool = False, target_word: str = "chỉ tiêu"
) -> Markup:
    """A horizontal bar chart as inline SVG; with `percent` the scale is 0-100%.
    `target_word` names a bar's target in its tooltip (the UI's language)."""
    top = max([1.0] if percent else [1.0, *(b.value for b in bars)])
    if percent:
        top = max(top, *(b.target or 0 for b in bars), *(b.value for b in bars), 1.0)
    height = _ROW * max(1, len(bars)) + 8
    width = _LABEL_W + _BAR_W + _VALUE_W
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    for i, bar in enumerate(bars):
        y = 4 + i * _ROW
        length = 0 if top <= 0 else round(_BAR_W * max(0.0, bar.value) / top, 1)
        caption = bar.caption or _fmt(bar.value, percent)
        tip = f"{bar.label}: {caption}"
        if bar.target is not None:
            tip += f" ({target_word} {_fmt(bar.target, percent)})"
        group = [
            f"<title>{escape(tip)}</title>",
            f'<text x="{_LABEL_W - 8}" y="{y + 17}" text-anchor="end" font-size="13">'
            f"{escape(bar.label)}</text>",
            f'<rect x="{_LABEL_W}" y="{y + 4}" width="{_BAR_W}" height="18" fill="#eef0f4"/>',
            f'<rect class="bar" x="{_LABEL_W}" y="{y + 4}" width="{length}" height="18" '
            f'fill="#8b1a1a"/>',
        ]
        if bar.target is not None and top > 0:
            x = round(_LABEL_W + _BAR_W * bar.target / top, 1)
            group.append(
                f'<line class="target" x1="{x}" x2="{x}" y1="{y}" y2="{y + 26}" '
                f'stroke="#176b2c" stroke-width="3"/>'
            )
        group.append(
            f'<text x="{_LABEL_W + _BAR_W + 8}" y="{y + 17}" font-size="13">'
            f"{escape(caption)}</text>"
        )
        body = "".join(group)
        if bar.href:
            body = f'<a href="{escape(bar.href)}">{body}</a>'
        parts.append(f'<g class="row">{body}</g>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every piece above is escaped
