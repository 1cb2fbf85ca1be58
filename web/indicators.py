"""The Decision 468 indicators page (chỉ tiêu số hóa và tái sử dụng): tables and
server-rendered SVG charts from the JSON `IndicatorService.report` returns, each number a
link to the notices, records or audit events behind it. Readable without JavaScript.

For the web UI: call `render_indicators_page(report)` for a whole page, or
`indicators_panel(report)` for the content to put inside the UI's own layout (it needs no
request, session or template context); `backlog_panel(page)` shows an agency's backlog
(`IndicatorService.backlog`'s page, as a dict). `link` maps a report link (the API's
`/api/v1/...`) to the page the UI shows it on; by default the API's links are used as
they are.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from kho import __version__
from kho.services.indicator_formats import period_title
from kho.web.charts import Bar, bar_chart

__all__ = ["backlog_panel", "indicators_panel", "render_indicators_page"]

TEMPLATES_DIR = Path(__file__).parent / "templates"
_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)

_GROUP_TITLES = {
    "level": ("cấp hành chính", "administrative level"),
    "issuer_code": ("cơ quan", "agency"),
    "procedure_code": ("thủ tục hành chính", "procedure"),
}
Link = Callable[[str], str]


def _charts(report: Mapping[str, Any], link: Link) -> dict[str, Markup]:
    groups = report["groups"]
    totals = report["totals"]
    rates = [
        Bar(
            label=g.get("name") or g["key"],
            value=g["digitization_rate"] or 0.0,
            href=link(g["links"]["digitized"]),
            target=g.get("target_rate"),
            caption=None if g["digitization_rate"] is not None else "—",
        )
        for g in groups
    ]
    if not rates:
        rates = [
            Bar(
                label="Toàn bộ",
                value=totals["digitization_rate"] or 0.0,
                href=link(report["links"]["digitized"]),
            )
        ]
    reuse = [
        Bar("Lượt tra cứu", totals["lookups"], link(report["links"]["lookups"])),
        Bar("Tra cứu tìm thấy", totals["lookups_found"], link(report["links"]["lookups_found"])),
        Bar(
            "Cơ quan khác tải",
            totals["downloads_by_other_agencies"],
            link(report["links"]["downloads_by_other_agencies"]),
        ),
    ]
    days = [
        Bar(f"{b['days']} ngày", b["count"], link(report["links"]["digitized"]))
        for b in totals["digitized_within_days"]
    ]
    return {
        "rates": bar_chart(rates, title="Tỷ lệ số hóa và chỉ tiêu", percent=True),
        "reuse": bar_chart(reuse, title="Tái sử dụng kết quả"),
        "days": bar_chart(days, title="Số ngày từ khi giải quyết đến khi số hóa"),
    }


def _context(report: Mapping[str, Any], link: Link | None) -> dict[str, Any]:
    chosen = link or (lambda href: href)
    group_by = report.get("group_by")
    return {
        "report": report,
        "period": period_title(dict(report)),
        "group_title": _GROUP_TITLES.get(group_by, ("toàn bộ", "all")) if group_by else None,
        "charts": _charts(report, chosen),
        "link": chosen,
        "percent": lambda v: "—" if v is None else f"{100 * v:.1f}%",
    }


def indicators_panel(report: Mapping[str, Any], *, link: Link | None = None) -> Markup:
    """The page's content (headings, charts, tables) without a layout around it."""
    html = _env.get_template("indicators_panel.html").render(**_context(report, link))
    return Markup(html)  # noqa: S704 - rendered with autoescape on


def render_indicators_page(report: Mapping[str, Any], *, link: Link | None = None) -> str:
    """A whole page (`<html lang="vi">`) around the panel, with Kho's stylesheet."""
    return _env.get_template("indicators.html").render(
        panel=indicators_panel(report, link=link),
        version=__version__,
        period=period_title(dict(report)),
    )


def backlog_panel(page: Mapping[str, Any], *, issuer: str | None = None) -> Markup:
    """The backlog (what is settled but not held) as a table: `{"items", "total", ...}`."""
    html = _env.get_template("backlog_panel.html").render(page=page, issuer=issuer)
    return Markup(html)  # noqa: S704 - rendered with autoescape on
