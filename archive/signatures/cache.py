"""A cache of certificate path validation results, so that validating thousands of results
from the same few signers costs little more than a digest and a signature check each."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["CacheStats", "PathValidationCache"]

V = TypeVar("V")


@dataclass(frozen=True)
class CacheStats:
    hits: int
    misses: int
    entries: int


class PathValidationCache(Generic[V]):
    """A thread-safe LRU map from a path-validation key to its outcome.

    The key (built in `paths.py`) is (usage, signer certificate and candidate chain
    fingerprints, trust config fingerprint, revocation data fingerprint, time bucket),
    where the time bucket is the interval between consecutive instants at which the
    result could change (certificate validity bounds, revocation dates, CRL/OCSP update
    times), plus a ten-minute wall-clock bucket when revocation data is fetched online.
    `misses` counts the path validations actually run.
    """

    def __init__(self, max_entries: int = 4096) -> None:
        self._max = max_entries
        self._entries: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()
        self._hits = 0
        self._misses = 0

    def get_or_compute(self, key: Hashable, compute: Callable[[], V]) -> V:
        """The cached value for `key`, or `compute()` stored under it. Two threads may
        compute the same key at once; both get a correct value, one is kept."""
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                self._hits += 1
                return self._entries[key]
            self._misses += 1
        value = compute()
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
        return value

    @property
    def hits(self) -> int:
        return self._hits

    @property
    def misses(self) -> int:
        """How many path validations were run (not answered from the cache)."""
        return self._misses

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(self._hits, self._misses, len(self._entries))

    def clear(self) -> None:
        """Forget every entry and reset the counters (e.g. after a trust-root change,
        although a new trust config has a new fingerprint and never hits old entries)."""
        with self._lock:
            self._entries.clear()
            self._hits = self._misses = 0
