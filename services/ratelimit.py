"""Per-key rate limiting: a token bucket per API key, refilled continuously.

Each key may make `per_minute` requests in any minute, with bursts up to that many. The
buckets live in this process: with several server processes behind a balancer each grants
its own allowance, so the limit is per process (KHO_RATE_LIMIT_PER_MINUTE).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from kho.metrics import RATE_LIMITED
from kho.services.errors import RateLimited

__all__ = ["RateLimiter"]


class RateLimiter:
    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._rate = per_minute / 60.0
        self._buckets: dict[str, tuple[float, float]] = {}  # key id -> (tokens, at)
        self._lock = threading.Lock()

    def hit(self, key_id: str) -> None:
        """Take one request from the key's allowance; RateLimited (with the seconds to wait
        in `retry_after`) when none is left. 0 per minute means no limit."""
        if self.per_minute <= 0:
            return
        now = self._clock()
        with self._lock:
            tokens, at = self._buckets.get(key_id, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - at) * self._rate)
            if tokens < 1.0:
                self._buckets[key_id] = (tokens, now)
                wait = max(1, math.ceil((1.0 - tokens) / self._rate))
                RATE_LIMITED.inc()
                raise RateLimited(
                    f"more than {self.per_minute} requests a minute with this API key; "
                    f"retry in {wait} s",
                    retry_after=wait,
                )
            self._buckets[key_id] = (tokens - 1.0, now)
            if len(self._buckets) > 100_000:
                self._buckets.clear()
