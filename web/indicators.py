"""The Decision 468 indicators panel (chỉ tiêu số hóa và tái sử dụng): tables and
server-rendered SVG charts from the JSON `IndicatorService.report` returns, each number a
link to the notices, records or audit events behind it. Readable without JavaScript.

The signed-in page is web/indicator_pages.py: it puts `indicators_panel(report, link=…,
gettext=…)` inside the UI's layout, with `link` mapping a report link (the API's
`/api/v1/...`) to the UI page that lists what is behind the number, and `gettext` the
request's language. `render_indicators_page(report)` is a whole stand-alone page (a
printable report); `backlog_panel(page)` shows an agency's backlog
(`IndicatorService.backlog`'s page, as a dict). Without `gettext` the text is Vietnamese
(the msgids are the Vietnamese text).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from kho import __version__
from kho.web.charts import Bar, bar_chart

__all__ = [
    "Gettext",
    "backlog_panel",
    "group_title",
    "indicators_panel",
    "period_label",
    "render_indicators_page",
]

TEMPLATES_DIR = Path(__file__).parent / "templates"
_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)

Link = Callable[[str], str]
Gettext = Callable[[str], str]


def _vietnamese(message: str) -> str:
    return message


def group_title(group_by: str | None, _: Gettext = _vietnamese) -> str:
    """The heading of the groups' column."""
    titles = {
        "level": _("Cấp hành chính"),
        "issuer_code": _("Cơ quan"),
        "procedure_code": _("Thủ tục hành chính"),
    }
    return titles.get(group_by or "", _("Nhóm"))


def period_label(start: date, end: date, _: Gettext = _vietnamese) -> str:
    """ "Quý 3/2026 (từ ngày 01/07/2026 đến ngày 30/09/2026)" and the like."""
    span = _("từ ngày {start} đến ngày {end}").format(
        start=start.strftime("%d/%m/%Y"), end=end.strftime("%d/%m/%Y")
    )
    last_day = (end + timedelta(days=1)).day == 1
    if start.day == 1 and start.year == end.year and last_day:
        quarter = (start.month - 1) // 3 + 1
        if start.month == 3 * quarter - 2 and end.month == 3 * quarter:
            name = _("Quý {quarter}/{year}").format(quarter=quarter, year=start.year)
            return f"{name} ({span})"
        if start.month == end.month:
            name = _("Tháng {month}/{year}").format(month=start.month, year=start.year)
            return f"{name} ({span})"
        if start.month == 1 and end.month == 12:
            return f"{_('Năm {year}').format(year=start.year)} ({span})"
    return span[0].upper() + span[1:]


def _charts(report: Mapping[str, Any], link: Link, _: Gettext) -> dict[str, Markup]:
    groups = report["groups"]
    totals = report["totals"]
    target_word = _("chỉ tiêu")
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
                label=_("Toàn bộ"),
                value=totals["digitization_rate"] or 0.0,
                href=link(report["links"]["digitized"]),
            )
        ]
    reuse = [
        Bar(_("Lượt tra cứu"), totals["lookups"], link(report["links"]["lookups"])),
        Bar(
            _("Tra cứu tìm thấy"),
            totals["lookups_found"],
            link(report["links"]["lookups_found"]),
        ),
        Bar(
            _("Cơ quan khác tải"),
            totals["downloads_by_other_agencies"],
            link(report["links"]["downloads_by_other_agencies"]),
        ),
    ]
    days = [
        Bar(
            _("{days} ngày").format(days=b["days"]),
            b["count"],
            link(report["links"]["digitized"]),
        )
        for b in totals["digitized_within_days"]
    ]
    return {
        "rates": bar_chart(
            rates, title=_("Tỷ lệ số hóa và chỉ tiêu"), percent=True, target_word=target_word
        ),
        "reuse": bar_chart(reuse, title=_("Tái sử dụng kết quả"), target_word=target_word),
        "days": bar_chart(
            days, title=_("Số ngày từ khi giải quyết đến khi số hóa"), target_word=target_word
        ),
    }


def _context(
    report: Mapping[str, Any], link: Link | None, gettext: Gettext | None
) -> dict[str, Any]:
    chosen = link or (lambda href: href)
    _ = gettext or _vietnamese
    return {
        "report": report,
        "period": period_label(
            date.fromisoformat(report["from"]), date.fromisoformat(report["to"]), _
        ),
        "group_title": group_title(report.get("group_by"), _),
        "charts": _charts(report, chosen, _),
        "link": chosen,
        "percent": lambda v: "—" if v is None else f"{100 * v:.1f}%",
        "_": _,
    }


def indicators_panel(
    report: Mapping[str, Any], *, link: Link | None = None, gettext: Gettext | None = None
) -> Markup:
    """The page's content (headings, charts, tables) without a layout around it."""
    html = _env.get_template("indicators_panel.html").render(**_context(report, link, gettext))
    return Markup(html)  # noqa: S704 - rendered with autoescape on


def render_indicators_page(
    report: Mapping[str, Any], *, link: Link | None = None, gettext: Gettext | None = None
) -> str:
    """A whole page (`<html lang="vi">`) around the panel, with Kho's stylesheet."""
    _ = gettext or _vietnamese
    return _env.get_template("indicators.html").render(
        panel=indicators_panel(report, link=link, gettext=gettext),
        version=__version__,
        period=period_label(
            date.fromisoformat(report["from"]), date.fromisoformat(report["to"]), _
        ),
        _=_,
    )


def backlog_panel(
    page: Mapping[str, Any], *, issuer: str | None = None, gettext: Gettext | None = None
) -> Markup:
    """The backlog (what is settled but not held) as a table: `{"items", "total", ...}`."""
    html = _env.get_template("backlog_panel.html").render(
        page=page, issuer=issuer, _=gettext or _vietnamese, day=_day
    )
    return Markup(html)  # noqa: S704 - rendered with autoescape on


def _day(value: str | None) -> str:
    """An ISO date as dd/mm/yyyy (empty for none)."""
    return date.fromisoformat(value).strftime("%d/%m/%Y") if value else ""
