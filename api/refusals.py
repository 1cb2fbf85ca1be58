"""Hands every refused API request — 401, 403, and a deposit refused with any other 4xx but
429 — to the services' RefusalGuard, which audits and throttles them by client address
(services/refusals.py). The throttle itself is checked where keys are, in api/deps.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kho.api.middleware import RouteTemplates
from kho.logs import request_id
from kho.services.refusals import Refusal, RefusalGuard

__all__ = ["RefusalMiddleware", "client_address"]

_DEPOSIT = "/api/v1/records"


def client_address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def _refused(method: str, path: str, status: int) -> bool:
    if not path.startswith("/api/v1/"):
        return False
    if status in (401, 403):
        return True
    return method == "POST" and path == _DEPOSIT and 400 <= status < 500 and status != 429


class RefusalMiddleware:
    def __init__(
        self, app: ASGIApp, guard: Callable[[], RefusalGuard], templates: RouteTemplates
    ) -> None:
        self.app = app
        self._guard = guard
        self._templates = templates

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = str(scope.get("method", ""))
        path = str(scope.get("path", ""))
        status = 0
        body = b""

        async def watching_send(message: Message) -> None:
            nonlocal status, body
            if message["type"] == "http.response.start":
                status = int(message["status"])
            elif message["type"] == "http.response.body" and _refused(method, path, status):
                body += message.get("body", b"")[: 4096 - len(body)]
            await send(message)

        try:
            await self.app(scope, receive, watching_send)
        finally:
            if _refused(method, path, status):
                await anyio.to_thread.run_sync(
                    self._guard().refused, self._refusal(scope, method, path, status, body)
                )

    def _refusal(self, scope: Scope, method: str, path: str, status: int, body: bytes) -> Refusal:
        problem = None
        try:
            kind = json.loads(body).get("type")
            if isinstance(kind, str) and kind.startswith("/problems/"):
                problem = kind.removeprefix("/problems/")[:40]
        except (ValueError, AttributeError):
            pass
        key = (scope.get("state") or {}).get("kho_key")
        return Refusal(
            client=client_address(scope),
            status=status,
            method=method[:10],
            route=self._templates(path),
            problem=problem,
            agency=getattr(key, "agency", None),
            key_id=getattr(key, "key_id", None),
            request_id=request_id.get(),
        )
