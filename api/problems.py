"""RFC 9457 problem details: every error the API returns, one shape, one media type."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from kho.errors import STATUS, KhoError

__all__ = ["PROBLEM_JSON", "STATUS", "install_problem_handlers", "problem_response"]

log = logging.getLogger("kho.api")

PROBLEM_JSON = "application/problem+json"

_TITLES = {
    400: "Bad request",
    401: "Unauthenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    413: "Too large",
    415: "Unsupported media type",
    416: "Range not satisfiable",
    422: "Unprocessable content",
    429: "Too many requests",
    500: "Internal error",
    503: "Service unavailable",
}
_TYPES = {status: kind for kind, status in reversed(STATUS.items())}


def problem_response(
    status: int,
    problem_type: str,
    detail: str,
    *,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"/problems/{problem_type}",
        "title": title or _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _kho_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, KhoError)
    status = STATUS.get(exc.problem_type, 500)
    body = exc.problem()
    body["status"] = status
    body.setdefault("instance", request.url.path)
    headers: dict[str, str] | None = None
    if status == 503:
        headers = {"Retry-After": "5"}
    elif status == 429:
        headers = {"Retry-After": str(exc.extra.get("retry_after") or 1)}
    elif status == 401:
        headers = {"WWW-Authenticate": 'Bearer realm="kho"'}
    if status >= 500:
        log.error("%s %s: %s", request.method, request.url.path, exc.detail)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "field": ".".join(str(p) for p in err.get("loc", ()) if p not in ("query", "path")),
            "message": str(err.get("msg", "")).removeprefix("Value error, "),
        }
        for err in exc.errors()
    ]
    headers_missing = any(
        (err.get("loc") or ("",))[0] == "header" and err.get("type") == "missing"
        for err in exc.errors()
    )
    unparseable = any(err.get("type") == "json_invalid" for err in exc.errors())
    status = 400 if headers_missing or unparseable else 422
    summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
    return problem_response(
        status,
        "bad-request" if status == 400 else "invalid-query",
        f"invalid request: {summary}",
        errors=errors,
    )


def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    kind = _TYPES.get(status, "bad-request" if status < 500 else "internal-error")
    detail = exc.detail if isinstance(exc.detail, str) else _TITLES.get(status, "Error")
    return problem_response(status, kind, detail, headers=dict(exc.headers or {}))


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # One line, no traceback in the log: the request id ties it to what the client saw.
    log.error(
        "unexpected %s on %s %s: %s", type(exc).__name__, request.method, request.url.path, exc
    )
    return problem_response(500, "internal-error", "an internal error occurred; it was logged")


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(KhoError, _kho_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
