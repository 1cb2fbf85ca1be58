"""Per-key rate limiting: a token bucket per API key, refilled continuously.

Each key may make `per_minute` requests in any minute, with bursts up to that many
(KHO_RATE_LIMIT_PER_MINUTE). With a `path` the buckets live in one SQLite file that every
process on the machine shares (`kho serve --workers N`: the limit holds across workers;
each take is one short write transaction); without one, in this process. The counters are
ephemeral state, not archive state: losing the file only refills every bucket.

Takes are serialised before SQLite sees them, by a thread lock in the process and an
advisory lock (flock) on `<path>.lock` between processes: a waiter is woken the moment the
holder is done, where SQLite's own busy handler would sleep for up to 100 ms between
retries (what made a loaded server's slowest lookups slow).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import math
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from kho.metrics import RATE_LIMITED
from kho.services.errors import RateLimited

__all__ = ["RateLimiter"]

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS buckets (
    key_id TEXT PRIMARY KEY,
    tokens REAL NOT NULL,
    at REAL NOT NULL
) WITHOUT ROWID;
"""
_MAX_KEYS = 100_000


class RateLimiter:
    def __init__(
        self,
        per_minute: int,
        *,
        clock: Callable[[], float] | None = None,
        path: Path | None = None,
    ) -> None:
        self.per_minute = per_minute
        self.path = path
        # Wall time when processes share the buckets (their monotonic clocks differ).
        self._clock = clock or (time.time if path is not None else time.monotonic)
        self._rate = per_minute / 60.0
        self._buckets: dict[str, tuple[float, float]] = {}  # key id -> (tokens, at)
        self._lock = threading.Lock()
        self._shared_lock = threading.Lock()
        self._lock_fd: int | None = None
        self._local = threading.local()
        if path is not None and per_minute > 0:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._lock_fd = os.open(
                    path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600
                )
                self._conn().executescript(_SCHEMA)
            except (OSError, sqlite3.Error) as exc:
                log.warning("rate limits per process: cannot use %s (%s)", path, exc)
                self.path = None

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            assert self.path is not None
            conn = sqlite3.connect(
                self.path, timeout=5.0, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=OFF")  # counters: a crash merely refills them
            self._local.conn = conn
        return conn

    def _take(self, tokens: float, at: float, now: float) -> tuple[float, bool]:
        """The bucket refilled from `at` to `now`, and whether a request may be taken."""
        tokens = min(float(self.per_minute), tokens + (now - at) * self._rate)
        if tokens < 1.0:
            return tokens, False
        return tokens - 1.0, True

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        """This process's threads one at a time, and then this process alone among those
        sharing the file (flock wakes a waiter at once; SQLite's busy handler sleeps)."""
        with self._shared_lock:
            if self._lock_fd is None:
                yield
                return
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def _shared(self, key_id: str) -> tuple[float, bool]:
        with self._exclusive():
            # The time read once the lock is held: the stored times only move forward.
            return self._shared_take(key_id, self._clock())

    def _shared_take(self, key_id: str, now: float) -> tuple[float, bool]:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute(
                "SELECT tokens, at FROM buckets WHERE key_id = ?", (key_id,)
            ).fetchone()
            tokens, at = (float(row[0]), float(row[1])) if row else (float(self.per_minute), now)
            tokens, allowed = self._take(tokens, at, now)
            conn.execute(
                "INSERT OR REPLACE INTO buckets (key_id, tokens, at) VALUES (?, ?, ?)",
                (key_id, tokens, now),
            )
            if row is None and conn.execute("SELECT count(*) FROM buckets").fetchone()[0] > (
                _MAX_KEYS
            ):
                conn.execute("DELETE FROM buckets WHERE at < ?", (now - 60.0,))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return tokens, allowed

    def _local_bucket(self, key_id: str, now: float) -> tuple[float, bool]:
        with self._lock:
            tokens, at = self._buckets.get(key_id, (float(self.per_minute), now))
            tokens, allowed = self._take(tokens, at, now)
            self._buckets[key_id] = (tokens, now)
            if len(self._buckets) > _MAX_KEYS:
                self._buckets.clear()
        return tokens, allowed

    def hit(self, key_id: str) -> None:
        """Take one request from the key's allowance; RateLimited (with the seconds to wait
        in `retry_after`) when none is left. 0 per minute means no limit."""
        if self.per_minute <= 0:
            return
        now = self._clock()
        if self.path is not None:
            try:
                tokens, allowed = self._shared(key_id)
            except sqlite3.Error as exc:  # never refuse service over the counters' file
                log.warning("rate limit counted in this process only: %s", exc)
                tokens, allowed = self._local_bucket(key_id, now)
        else:
            tokens, allowed = self._local_bucket(key_id, now)
        if not allowed:
            wait = max(1, math.ceil((1.0 - tokens) / self._rate))
            RATE_LIMITED.inc()
            raise RateLimited(
                f"more than {self.per_minute} requests a minute with this API key; "
                f"retry in {wait} s",
                retry_after=wait,
            )

    def close(self) -> None:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
        self._local = threading.local()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None
