"""The FastAPI application of /api/v1 for agency systems: routes, errors, middleware."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from fastapi import FastAPI

from kho import __version__
from kho.api.middleware import BodyLimitMiddleware, RequestIdMiddleware, SafetyNetMiddleware
from kho.api.problems import install_problem_handlers
from kho.api.routes import health, lookup, records, verify
from kho.services import Services

__all__ = ["create_api"]

_DESCRIPTION = """
Kho keeps the digitally signed results of administrative procedures and lets agency
systems reuse them by the citizen's personal ID number or the enterprise code, instead of
asking for paper copies.

* Authenticate with `Authorization: Bearer <API key>` (`kho keys create`).
* State the purpose of every read with `X-Dossier-Code: <the dossier being processed>`;
  it is recorded in the audit trail with the access.
* Errors are `application/problem+json` (RFC 9457).
"""


def create_api(
    services: Services,
    *,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[Any]] | None = None,
) -> FastAPI:
    app = FastAPI(
        lifespan=lifespan,
        title="Kho API",
        version=__version__,
        description=_DESCRIPTION,
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
    )
    app.state.services = services
    install_problem_handlers(app)
    app.include_router(records.router, prefix="/api/v1")
    app.include_router(lookup.router, prefix="/api/v1")
    app.include_router(verify.router, prefix="/api/v1")
    app.include_router(health.router)
    # Added innermost first: the request id wraps everything, the body limit sits inside.
    multipart_overhead = 1024 * 1024
    app.add_middleware(
        BodyLimitMiddleware, limit=services.settings.max_upload_bytes + multipart_overhead
    )
    app.add_middleware(SafetyNetMiddleware)
    app.add_middleware(RequestIdMiddleware)
    return app
