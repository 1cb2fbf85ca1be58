"""ASGI middleware: request ids, a body-size ceiling, and a last net under every request.

The net turns any exception that escaped the handlers into a 500 problem+json logged on one
line, so neither the client nor the log ever shows a traceback.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
from collections.abc import Callable, Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kho.logs import request_id
from kho.metrics import HTTP_LATENCY, HTTP_REQUESTS

__all__ = [
    "BodyLimitMiddleware",
    "MetricsMiddleware",
    "RequestIdMiddleware",
    "RouteTemplates",
    "SafetyNetMiddleware",
    "request_id",
]

log = logging.getLogger("kho.api")
# Metric labels take these methods as they are and any other as "other": a client choosing
# the method must not be able to add label values (and so series) without bound.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._\-]{1,64}$")


async def _send_problem(send: Send, status: int, kind: str, title: str, detail: str) -> None:
    body = json.dumps(
        {"type": f"/problems/{kind}", "title": title, "status": status, "detail": detail}
    ).encode()
    headers = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
    ]
    rid = request_id.get()
    if rid:
        headers.append((b"x-request-id", rid.encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class RequestIdMiddleware:
    """Take a well-formed X-Request-ID from the client or make one; echo it back."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers", [])).get(b"x-request-id", b"").decode("latin-1")
        rid = given if _REQUEST_ID.fullmatch(given) else secrets.token_hex(8)
        token = request_id.set(rid)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [
                    *[(k, v) for k, v in message["headers"] if k.lower() != b"x-request-id"],
                    (b"x-request-id", rid.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id.reset(token)


class _TooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """Refuse request bodies over `limit` bytes with 413, before they reach a disk spool."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers", [])).get(b"content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                await _send_problem(send, 400, "bad-request", "Bad request", "bad Content-Length")
                return
            if declared > self.limit:
                await _send_problem(
                    send,
                    413,
                    "too-large",
                    "Too large",
                    f"the request is {declared} bytes; the limit is {self.limit}",
                )
                return
        seen = 0
        started = False
        refused = False

        async def limited_receive() -> Message:
            nonlocal seen, refused
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    # Answer now: whatever the body parser makes of the exception below,
                    # the client has its 413 and later sends are dropped.
                    if not started and not refused:
                        refused = True
                        await _send_problem(
                            send,
                            413,
                            "too-large",
                            "Too large",
                            f"the request is over {self.limit} bytes",
                        )
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if refused:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except Exception:
            if not refused:
                raise


class SafetyNetMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:  # the last net: log one line, answer 500 problem+json
            log.error(
                "unexpected %s on %s %s: %s",
                type(exc).__name__,
                scope.get("method"),
                scope.get("path"),
                exc,
            )
            if not started:
                await _send_problem(
                    send,
                    500,
                    "internal-error",
                    "Internal error",
                    "an internal error occurred; it was logged",
                )


class RouteTemplates:
    """The route template of a raw path (`/api/v1/records/{record_id}`): the paths of the
    OpenAPI document (`templates` gives them), matched in order; "/", "/static" or "other"
    for the rest. What metrics and audit events name instead of client-chosen paths."""

    def __init__(self, templates: Callable[[], Iterable[str]]) -> None:
        self._templates = templates
        self._compiled: list[tuple[re.Pattern[str], str]] | None = None

    def __call__(self, path: str) -> str:
        if self._compiled is None:
            compiled = []
            for template in self._templates():
                regex = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
                compiled.append((re.compile(f"^{regex}$"), template))
            # Literal paths before templated ones (/keys before /keys/{key_id}).
            compiled.sort(key=lambda item: item[1].count("{"))
            self._compiled = compiled
        for pattern, template in self._compiled:
            if pattern.match(path):
                return template
        if path == "/":
            return "/"
        return "/static" if path.startswith("/static/") else "other"


class MetricsMiddleware:
    """Count requests and time them by route template (RouteTemplates) and by method (a
    known one, else "other"), so the label set stays small whatever paths and methods
    clients send."""

    def __init__(self, app: ASGIApp, templates: RouteTemplates) -> None:
        self.app = app
        self._template = templates

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def timing_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, timing_send)
        finally:
            template = self._template(str(scope.get("path", "")))
            method = str(scope.get("method", "GET"))
            method = method if method in _METHODS else "other"
            HTTP_REQUESTS.labels(method=method, route=template, status=str(status)).inc()
            HTTP_LATENCY.labels(method=method, route=template).observe(
                time.perf_counter() - started
            )
