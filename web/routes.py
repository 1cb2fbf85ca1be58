"""The web pages (Vietnamese first, English second). The officers', records managers' and
auditors' screens come with the web UI; this is the archive's front page."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from kho import __version__
from kho.errors import KhoError
from kho.services import Services

__all__ = ["STATIC_DIR", "router", "templates"]

TEMPLATES_DIR = Path(__file__).parent / "templates"
# resolve(): see api/docs.py (StaticFiles and the kho/web symlink).
STATIC_DIR = Path(__file__).resolve().parent / "static"
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    services: Services = request.app.state.services
    checks = services.health.readiness()
    try:
        records: int | None = services.indexing.count()
    except KhoError:  # the index may be down; the page still answers
        records = None
    return templates.TemplateResponse(
        request,
        "home.html",
        {"version": __version__, "checks": checks, "records": records},
    )
