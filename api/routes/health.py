"""Liveness and readiness probes (no authentication; nothing about records)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from kho.api.deps import ServicesDep
from kho.api.problems import PROBLEM_JSON, problem_response
from kho.api.schemas import Problem
from kho.metrics import CONTENT_TYPE, render

__all__ = ["router"]

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness: the process answers")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness: every backend answers",
    responses={
        503: {
            "model": Problem,
            "description": "A backend is down; `checks` says which",
            "content": {
                PROBLEM_JSON: {
                    "example": {
                        "type": "/problems/backend-unavailable",
                        "title": "Service unavailable",
                        "status": 503,
                        "detail": "not ready: index",
                        "checks": {"index": {"backend": "elasticsearch", "status": "down"}},
                    }
                }
            },
        }
    },
)
def readyz(services: ServicesDep) -> Any:
    checks = services.health.readiness()
    down = sorted(role for role, c in checks.items() if c["status"] != "ok")
    if down:
        return problem_response(
            503,
            "backend-unavailable",
            f"not ready: {', '.join(down)}",
            headers={"Retry-After": "5"},
            checks=checks,
        )
    return JSONResponse({"status": "ready", "checks": checks})


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    description="Requests by route template and status, latencies, deposits by outcome, "
    "lookups, audit appends and batch sizes, rate-limit refusals, process figures.",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
def metrics() -> Response:
    return Response(render(), media_type=CONTENT_TYPE)
