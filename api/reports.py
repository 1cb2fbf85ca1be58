"""How the verification endpoints answer: the report as JSON, or the printable HTML report
when the client prefers it (`Accept: text/html`). Shared by the routes of /verify and of a
record's verification, which do not import each other."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import tzinfo
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from kho.api.problems import problem_response
from kho.api.schemas import Problem

__all__ = ["REPORT_RESPONSES", "ReportHtml", "report_response", "wants_html"]

ReportHtml = Callable[..., str]
"""Renders a report as HTML: `(report, *, zone, source)`. The web layer provides it
(`app.state.report_html`, set where the app is put together), since the API may not
import the web layer."""

_HTML_HEADERS = {
    "Cache-Control": "private, no-store",
    # The page holds values from untrusted PDFs: no scripts, no fetches, inline styles only
    # (stricter than the server-wide policy of api/headers.py, which it replaces).
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "frame-ancestors 'self'; base-uri 'none'; form-action 'none'",
    "X-Content-Type-Options": "nosniff",
}

REPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The validation report: JSON by default; the printable report "
        "(Vietnamese, then English) with `Accept: text/html`",
        "content": {
            "application/json": {"schema": {"type": "object"}},
            "text/html": {"schema": {"type": "string"}},
        },
    },
    406: {"model": Problem, "description": "HTML asked of an API served without the web pages"},
}


def _quality(accept: str, wanted: Callable[[str], bool]) -> float:
    best = 0.0
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        if not wanted(media.lower()):
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        best = max(best, q)
    return best


def wants_html(request: Request) -> bool:
    """Whether the client prefers HTML: `text/html` named explicitly, with a higher
    quality than JSON (`application/json`, `application/*` or `*/*`). Browsers do;
    `*/*` alone and ties get JSON."""
    accept = request.headers.get("accept", "")
    if "text/html" not in accept.lower():
        return False
    html = _quality(accept, lambda m: m == "text/html")
    json_ = _quality(accept, lambda m: m in ("application/json", "application/*", "*/*"))
    return html > json_


def report_response(
    request: Request, report: Mapping[str, Any], *, zone: tzinfo, source: str | None = None
) -> Response:
    """The report as JSON, or as the printable HTML page when the client prefers it."""
    if not wants_html(request):
        return JSONResponse(dict(report))
    render: ReportHtml | None = getattr(request.app.state, "report_html", None)
    if render is None:
        return problem_response(
            406, "not-acceptable", "this server has no HTML reports; ask for application/json"
        )
    return HTMLResponse(render(report, zone=zone, source=source), headers=_HTML_HEADERS)
