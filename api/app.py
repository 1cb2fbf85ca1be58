"""The FastAPI application of /api/v1 for agency systems: routes, errors, middleware."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from fastapi import FastAPI

from kho import __version__
from kho.api.docs import install_docs
from kho.api.headers import SecurityHeadersMiddleware
from kho.api.middleware import (
    BodyLimitMiddleware,
    MetricsMiddleware,
    RequestIdMiddleware,
    RouteTemplates,
    SafetyNetMiddleware,
)
from kho.api.openapi import install_openapi
from kho.api.problems import install_problem_handlers
from kho.api.refusals import RefusalMiddleware
from kho.api.routes import (
    audit,
    digitize,
    health,
    indicators,
    keys,
    lookup,
    records,
    retention,
    verify,
)
from kho.services import Services

__all__ = ["create_api"]

_DESCRIPTION = """
Kho keeps the digitally signed results of administrative procedures and lets agency
systems reuse them by the citizen's personal ID number or the enterprise code, instead of
asking for paper copies.

* Authenticate with `Authorization: Bearer <API key>` (`kho keys create`, or
  `POST /api/v1/keys` with a `keys:manage` key). Scopes: `records:read`, `records:write`,
  `retention:manage`, `audit:read`, `subjects:access-log`, `keys:manage`,
  `settlements:write`, `indicators:read`.
* State the purpose of every read with `X-Dossier-Code: <the dossier being processed>`
  (mã hồ sơ of the national form `V1V2V3.Z1Z2.Y1Y2.MX1X2-YYMMDD-XXXX`, e.g.
  `000.00.15.H62-261123-0001`, unless the server sets `KHO_DOSSIER_CODE_PATTERN`); it is
  recorded in the audit trail with the access. Every lookup, read and download is an audit
  event.
* Errors are `application/problem+json` (RFC 9457) with a `type` under `/problems/`:
  400 unparseable request or missing header, 401 no or bad key, 403 wrong scope or a key
  limit, 404, 409 conflict, 413 too large, 415 not a PDF, 416 bad range, 422 invalid
  values, 429 rate limited (wait `Retry-After` seconds), 503 a backend down.
* Each API key may make `KHO_RATE_LIMIT_PER_MINUTE` requests a minute. Refused requests
  (401, 403, refused deposits) are audited; a client address refused more than
  `KHO_REFUSALS_PER_MINUTE` times a minute gets 429 until its allowance refills.
* Links Kho returns are relative, or absolute under the server's `KHO_PUBLIC_URL`.
* Every response carries `X-Request-ID` (send your own to correlate logs).
* Dates are calendar dates in Asia/Ho_Chi_Minh; times are RFC 3339 with an offset.
"""

_TAGS = [
    {"name": "records", "description": "Deposit, read, download, revoke and supersede results"},
    {"name": "lookup", "description": "Reuse lookup by subject, and full-text search"},
    {"name": "verification", "description": "Signature validation reports"},
    {"name": "digitization", "description": "Paper results: OCR, proposals, signing, deposit"},
    {"name": "audit", "description": "The audit trail, and a subject's access log"},
    {
        "name": "indicators",
        "description": "Settlement notices, the backlog, Decision 468 indicators",
    },
    {
        "name": "retention",
        "description": "Schedules, due list, legal holds, two-person disposal, certificates",
    },
    {"name": "keys", "description": "Agencies' API keys (administrators)"},
    {"name": "health", "description": "Probes and metrics (no API key)"},
]


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
        # Swagger UI is served from Kho's own files (install_docs); no ReDoc.
        docs_url=None,
        redoc_url=None,
        openapi_tags=_TAGS,
    )
    app.state.services = services
    install_problem_handlers(app)
    install_openapi(app)
    install_docs(app, "/api/v1/openapi.json")
    app.include_router(records.router, prefix="/api/v1")
    app.include_router(digitize.router, prefix="/api/v1")
    app.include_router(lookup.router, prefix="/api/v1")
    app.include_router(verify.router, prefix="/api/v1")
    app.include_router(audit.router, prefix="/api/v1")
    app.include_router(keys.router, prefix="/api/v1")
    app.include_router(indicators.router, prefix="/api/v1")
    app.include_router(retention.router, prefix="/api/v1")
    app.include_router(health.router)
    # Added innermost first: the security headers wrap everything (errors too), then the
    # request id; the body limit sits inside.
    multipart_overhead = 1024 * 1024
    app.add_middleware(
        BodyLimitMiddleware, limit=services.settings.max_upload_bytes + multipart_overhead
    )
    app.add_middleware(SafetyNetMiddleware)
    templates = RouteTemplates(lambda: app.openapi()["paths"])
    app.add_middleware(MetricsMiddleware, templates=templates)
    app.add_middleware(RefusalMiddleware, guard=lambda: services.refusals, templates=templates)
    app.add_middleware(RequestIdMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    return app
