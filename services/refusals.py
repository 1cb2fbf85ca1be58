"""Refused requests — a missing or bad API key (401), a wrong scope or agency (403), a refused
deposit — audited and throttled by client address.

Both without letting a flood grow anything without bound:
- Throttle: each client address may be refused `per_minute` times a minute (a token bucket,
  KHO_REFUSALS_PER_MINUTE); past that, its authenticated requests get 429 before their key is
  even looked at, until the allowance refills. Good keys from that address wait too: a
  client that keeps sending bad keys is throttled as a whole. The buckets are bounded.
- Audit: a refusal within its address's allowance is one event (`request.refused`), so a
  client is audited at most `per_minute` times a minute, and all clients together at most
  `audit_per_minute` times; what goes past either, and the 429s of throttled addresses, is
  counted and written once a minute as one `request.refused.summary` event (counts by
  status, problem and the busiest addresses). The trail grows by at most
  `audit_per_minute + 1` events a minute, whatever arrives.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kho.archive.manifest import Actor
from kho.errors import KhoError
from kho.services.access import Access
from kho.services.audit import AuditService
from kho.services.errors import RateLimited

__all__ = ["Refusal", "RefusalGuard"]

log = logging.getLogger(__name__)

_WINDOW_S = 60.0
_MAX_CLIENTS = 50_000  # buckets kept; past it the fullest (least suspicious) are dropped
_MAX_COUNTED_CLIENTS = 1_000  # addresses counted one by one in a summary; the rest as "other"


@dataclass(frozen=True)
class Refusal:
    """One refused request, as the HTTP layer saw it."""

    client: str
    status: int
    method: str
    route: str
    problem: str | None = None
    agency: str | None = None
    key_id: str | None = None
    request_id: str | None = None


class RefusalGuard:
    def __init__(
        self,
        audit: AuditService,
        *,
        per_minute: int,
        audit_per_minute: int = 600,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.audit = audit
        self.per_minute = per_minute
        self.audit_per_minute = audit_per_minute
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # client -> (tokens, at)
        self._window_start = clock()
        self._audited = 0
        self._suppressed: Counter[str] = Counter()  # "status problem" -> count
        self._by_client: Counter[str] = Counter()
        self._throttled = 0

    # -- the throttle ------------------------------------------------------------------

    def _tokens(self, client: str, now: float) -> float:
        tokens, at = self._buckets.get(client, (float(self.per_minute), now))
        return min(float(self.per_minute), tokens + (now - at) * self.per_minute / 60.0)

    def check(self, client: str) -> None:
        """RateLimited (429, with `retry_after`) if `client` has used up its refusals."""
        if self.per_minute <= 0:
            return
        now = self._clock()
        with self._lock:
            tokens = self._tokens(client, now)
            if tokens >= 1.0:
                return
            self._throttled += 1
            self._count(client)
        wait = max(1, math.ceil((1.0 - tokens) * 60.0 / self.per_minute))
        raise RateLimited(
            f"too many refused requests from {client} (more than {self.per_minute} a minute); "
            f"retry in {wait} s",
            retry_after=wait,
        )

    # -- noting a refusal --------------------------------------------------------------

    def refused(self, refusal: Refusal) -> None:
        """Take one from the client's allowance and audit the refusal (or count it into the
        minute's summary). Never raises: a refusal must reach its client even if the trail
        is down."""
        self.flush()  # the summary of a minute that has ended, first
        now = self._clock()
        with self._lock:
            individual = True
            if self.per_minute > 0:
                tokens = self._tokens(refusal.client, now)
                individual = tokens >= 1.0
                self._buckets[refusal.client] = (max(0.0, tokens - 1.0), now)
                self._prune()
            individual = individual and self._audited < self.audit_per_minute
            if individual:
                self._audited += 1
            else:
                self._suppressed[f"{refusal.status} {refusal.problem or '-'}"] += 1
                self._count(refusal.client)
        if individual:
            self._write(
                "request.refused",
                Access(
                    actor=Actor(agency=refusal.agency, key_id=refusal.key_id),
                    request_id=refusal.request_id,
                ),
                outcome=refusal.problem or str(refusal.status),
                detail={
                    "client": refusal.client,
                    "status": refusal.status,
                    "method": refusal.method,
                    "route": refusal.route,
                },
            )

    def _count(self, client: str) -> None:
        if client in self._by_client or len(self._by_client) < _MAX_COUNTED_CLIENTS:
            self._by_client[client] += 1
        else:
            self._by_client["other"] += 1

    def _pending(self) -> bool:
        return bool(self._suppressed or self._throttled)

    def _prune(self) -> None:
        if len(self._buckets) <= _MAX_CLIENTS:
            return
        # Forget the addresses with the most allowance left: they are the least throttled.
        keep = sorted(self._buckets.items(), key=lambda item: item[1][0])[: _MAX_CLIENTS // 2]
        self._buckets = dict(keep)

    # -- the minute's summary ----------------------------------------------------------

    def flush(self, *, force: bool = False) -> bool:
        """Write the summary of the minute that ended (or, with `force`, of the one under
        way) if anything went unaudited; True if an event was written."""
        now = self._clock()
        with self._lock:
            if not force and now - self._window_start < _WINDOW_S:
                return False
            if not self._pending():
                self._window_start, self._audited = now, 0
                return False
            detail: dict[str, Any] = {
                "window_s": round(now - self._window_start, 1),
                "refused": sum(self._suppressed.values()),
                "throttled": self._throttled,
                "by_status_and_problem": dict(self._suppressed),
                "clients": len(self._by_client),
                "busiest_clients": dict(self._by_client.most_common(20)),
            }
            self._window_start, self._audited = now, 0
            self._suppressed, self._by_client, self._throttled = Counter(), Counter(), 0
        self._write("request.refused.summary", Access.system(), outcome="summary", detail=detail)
        return True

    def _write(self, action: str, access: Access, *, outcome: str, detail: dict[str, Any]) -> None:
        try:
            self.audit.record(action, access, outcome=outcome, detail=detail)
        except KhoError as exc:
            log.warning("audit of a refused request: %s", exc.detail)
        except Exception as exc:  # the refusal itself must still be answered
            log.error("audit of a refused request: %s: %s", type(exc).__name__, exc)
