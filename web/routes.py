"""The archive's front page (signed-in users): the system's status and where to go next."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from kho.errors import KhoError
from kho.services import Services
from kho.web.render import TEMPLATES_DIR, render, templates

__all__ = ["STATIC_DIR", "TEMPLATES_DIR", "router", "templates"]

# resolve(): see api/docs.py (StaticFiles and the kho/web symlink).
STATIC_DIR = Path(__file__).resolve().parent / "static"

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    services: Services = request.app.state.services
    checks = services.health.readiness()
    try:
        records: int | None = services.indexing.count()
    except KhoError:  # the index may be down; the page still answers
        records = None
    return render(request, "home.html", {"checks": checks, "records": records})
