"""/api/v1/verify: validate any PDF's signatures; nothing is stored. Also how the
verification endpoints answer `Accept: text/html` with the printable report."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import tzinfo
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, Response

from kho.api.deps import ServicesDep, access_for, caller
from kho.api.openapi import problems
from kho.api.problems import problem_response
from kho.api.schemas import Problem
from kho.services import ApiKey
from kho.services.errors import PayloadTooLarge

__all__ = ["REPORT_RESPONSES", "ReportHtml", "report_response", "router", "wants_html"]

router = APIRouter(tags=["verification"])

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


@router.post(
    "/verify",
    summary="Validate the signatures of an uploaded PDF (kiểm tra chữ ký số)",
    description="Per signature: signer, signing time (claimed and timestamped), ETSI EN "
    "319 102-1 indication and sub-indication, coverage, whether the document was modified "
    "after signing; the document's verdict is the worst indication. Nothing is stored; the "
    "check is audited. `Accept: text/html` gives the printable report.",
    responses={
        **REPORT_RESPONSES,
        **problems(
            413,
            422,
            s413="File over KHO_MAX_UPLOAD_MB",
            s422="Not a readable PDF (damaged, truncated, encrypted)",
        ),
    },
)
def verify(
    request: Request,
    services: ServicesDep,
    key: Annotated[ApiKey, Depends(caller("records:read"))],
    file: Annotated[UploadFile, File(description="Any PDF")],
) -> Response:
    limit = services.settings.max_upload_bytes
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"the file is over the limit of {services.settings.max_upload_mb} MB")
    report = services.verify.verify_upload(data, access_for(key))
    body = {"filename": file.filename, **services.verify.document(report, data)}
    return report_response(request, body, zone=services.settings.zone, source=file.filename)
