"""Liveness and readiness probes (no authentication; nothing about records)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from kho.api.deps import ServicesDep

__all__ = ["router"]

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness: the process answers")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness: every backend answers",
    responses={503: {"description": "A backend is down; the body says which"}},
)
def readyz(services: ServicesDep) -> Any:
    checks = services.health.readiness()
    ready = all(c["status"] == "ok" for c in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "unavailable", "checks": checks},
        status_code=200 if ready else 503,
    )
