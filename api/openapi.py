"""The OpenAPI document: problem responses in their own media type, with examples.

Routes declare their error statuses with `problems(...)`; `install_openapi` then rewrites
every 4xx/5xx response of the generated document to `application/problem+json` with the
Problem schema and a Vietnamese example, adds the statuses every authenticated operation
can give (401, 403, 429, 503), and replaces FastAPI's own validation-error schema, which
Kho never sends. The committed `api/openapi.json` is this document (`kho openapi`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from kho.api.problems import PROBLEM_JSON
from kho.api.schemas import Problem

__all__ = ["DEPOSIT_PROBLEMS", "SPEC_PATH", "install_openapi", "problems", "spec_text"]

SPEC_PATH = Path(__file__).parent / "openapi.json"

_EXAMPLES: dict[int, dict[str, Any]] = {
    400: {
        "type": "/problems/missing-purpose",
        "title": "The purpose (X-Dossier-Code) is missing or malformed",
        "status": 400,
        "detail": "the X-Dossier-Code header is required: the dossier this access serves",
    },
    401: {
        "type": "/problems/unauthenticated",
        "title": "Missing or invalid API key",
        "status": 401,
        "detail": "send `Authorization: Bearer <API key>`",
    },
    403: {
        "type": "/problems/forbidden",
        "title": "Not allowed",
        "status": 403,
        "detail": "the API key lacks the scope records:read",
        "scope": "records:read",
    },
    404: {
        "type": "/problems/not-found",
        "title": "Record not found",
        "status": 404,
        "detail": "no record 01JD3V7Y8K3N2W6Q4T9ZB5XK1M",
    },
    409: {
        "type": "/problems/conflict",
        "title": "Conflict",
        "status": 409,
        "detail": "record 01JD3V7Y8K3N2W6Q4T9ZB5XK1M is already revoked",
    },
    413: {
        "type": "/problems/too-large",
        "title": "File too large",
        "status": 413,
        "detail": "the file is over the limit of 50 MB",
    },
    415: {
        "type": "/problems/unsupported-media-type",
        "title": "Not a PDF",
        "status": 415,
        "detail": "the file is not a PDF (judged by its content)",
    },
    416: {
        "type": "/problems/range-not-satisfiable",
        "title": "Range not satisfiable",
        "status": 416,
        "detail": "the file has 48213 bytes",
    },
    422: {
        "type": "/problems/invalid-metadata",
        "title": "Invalid metadata",
        "status": 422,
        "detail": "subjects.0.id: Số định danh cá nhân phải có 12 chữ số",
        "errors": [{"field": "subjects.0.id", "message": "must be 12 digits"}],
    },
    429: {
        "type": "/problems/rate-limited",
        "title": "Too many requests",
        "status": 429,
        "detail": "more than 600 requests a minute with this API key; retry in 2 s",
        "retry_after": 2,
    },
    503: {
        "type": "/problems/backend-unavailable",
        "title": "Search index unavailable",
        "status": 503,
        "detail": "the search index cannot be reached; try again shortly",
    },
}

# The refusals particular to a deposit: its 403 and 409 examples in the document.
DEPOSIT_PROBLEMS: dict[int, dict[str, Any]] = {
    403: {
        "type": "/problems/forbidden",
        "title": "Not allowed",
        "status": 403,
        "detail": "this API key deposits only for 000.00.15.H63, not for issuer_code "
        "000.00.15.H62 (a key may be made --on-behalf-of other agencies)",
        "field": "issuer_code",
    },
    409: {
        "type": "/problems/duplicate-content",
        "title": "These bytes are already archived as another result",
        "status": 409,
        "detail": "these exact bytes are already archived as result "
        "000.00.15.H62-261122-0007-KQ1 of 000.00.15.H62 (record "
        "01JD3V7Y8K3N2W6Q4T9ZB5XK1M); one signed result is one record",
        "record_id": "01JD3V7Y8K3N2W6Q4T9ZB5XK1M",
    },
}

_DEFAULT_TEXT = {
    400: "Malformed request or missing X-Dossier-Code",
    401: "No, unknown, revoked or expired API key",
    403: "The API key lacks the scope, or its limits exclude this result",
    404: "No such record",
    409: "Conflict",
    410: "Disposed of under its retention schedule",
    413: "Request too large",
    415: "Not a PDF",
    416: "Range not satisfiable",
    422: "Invalid parameter or body",
    429: "Rate limit of the API key exceeded; see Retry-After",
    500: "Internal error (logged with the request id)",
    503: "A backend (object store or index) is down; see Retry-After",
}


def problems(
    *statuses: int,
    examples: dict[int, dict[str, Any]] | None = None,
    **texts: str,
) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for these error statuses (texts override as `s409="..."`;
    `examples` gives a status's problem example instead of the usual one)."""
    responses: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        response: dict[str, Any] = {
            "model": Problem,
            "description": texts.get(f"s{status}", _DEFAULT_TEXT[status]),
        }
        if examples and status in examples:
            response["content"] = {
                PROBLEM_JSON: {
                    "examples": {name: {"value": value} for name, value in examples[status].items()}
                }
            }
        responses[status] = response
    return responses


_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again",
        "schema": {"type": "integer"},
    }
}


def _rewrite(schema: dict[str, Any]) -> dict[str, Any]:
    ref = {"$ref": "#/components/schemas/Problem"}
    for route, path in schema.get("paths", {}).items():
        if not route.startswith("/api/"):
            continue
        for operation in path.values():
            responses: dict[str, Any] = operation.setdefault("responses", {})
            if operation.get("security"):
                for common in (401, 403, 429, 503):
                    responses.setdefault(str(common), {"description": _DEFAULT_TEXT[common]})
            # Any request can be malformed (a bad Content-Length, a body that does not
            # parse), and any body can be over the limit (api/middleware.py answers both
            # before a handler runs).
            responses.setdefault("400", {"description": _DEFAULT_TEXT[400]})
            if "requestBody" in operation:
                responses.setdefault("413", {"description": _DEFAULT_TEXT[413]})
            for status, response in responses.items():
                if not status.isdigit() or int(status) < 400:
                    continue
                code = int(status)
                if code == 422 and response.get("description") == "Validation Error":
                    response["description"] = _DEFAULT_TEXT[422]
                given = (response.get("content") or {}).get(PROBLEM_JSON) or {}
                example = given.get("example") or _EXAMPLES.get(
                    code, {"type": "/problems/internal-error", "status": code}
                )
                response["content"] = {PROBLEM_JSON: {"schema": ref, "example": example}}
                if code in (429, 503):
                    response["headers"] = _RETRY_AFTER
    components = schema.get("components", {}).get("schemas", {})
    text = json.dumps(schema.get("paths", {}))
    for name in ("HTTPValidationError", "ValidationError"):
        if name in components and f"#/components/schemas/{name}" not in text:
            del components[name]
    return schema


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _rewrite(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    description=app.description,
                    routes=app.routes,
                    tags=app.openapi_tags,
                    servers=app.servers,
                )
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def spec_text(app: FastAPI) -> str:
    """The document as committed: stable key order, UTF-8 (Vietnamese examples readable)."""
    return json.dumps(app.openapi(), ensure_ascii=False, indent=2) + "\n"
