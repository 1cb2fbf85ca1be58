"""The per-key token bucket, in one process and shared through one file."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from kho.services.errors import RateLimited
from kho.services.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def _allowed(limiter: RateLimiter, key: str, n: int) -> int:
    ok = 0
    for _ in range(n):
        try:
            limiter.hit(key)
            ok += 1
        except RateLimited:
            pass
    return ok


def test_the_limit_refuses_past_the_allowance_and_refills(tmp_path: Path) -> None:
    clock = Clock()
    limiter = RateLimiter(6, clock=clock, path=tmp_path / "limits.sqlite")
    assert _allowed(limiter, "k", 10) == 6
    with pytest.raises(RateLimited) as refused:
        limiter.hit("k")
    assert refused.value.extra["retry_after"] == 10  # one request every 10 s at 6 a minute
    assert _allowed(limiter, "other", 6) == 6  # each key its own bucket
    clock.now += 20.0
    assert _allowed(limiter, "k", 10) == 2
    limiter.close()


def test_limiters_sharing_a_file_share_the_allowance_under_concurrency(tmp_path: Path) -> None:
    """Two limiters on one file stand for two worker processes (flock locks an open file,
    so they exclude each other as processes would); their threads race for the bucket."""
    clock = Clock()
    path = tmp_path / "limits.sqlite"
    limiters = [RateLimiter(50, clock=clock, path=path) for _ in range(2)]
    counts: list[int] = []
    lock = threading.Lock()

    def take(limiter: RateLimiter) -> None:
        n = _allowed(limiter, "shared", 20)
        with lock:
            counts.append(n)

    threads = [threading.Thread(target=take, args=(limiters[i % 2],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(counts) == 50  # 160 asked, exactly the allowance granted across both
    for limiter in limiters:
        limiter.close()


def test_no_file_limits_in_process_and_zero_means_no_limit(tmp_path: Path) -> None:
    clock = Clock()
    assert _allowed(RateLimiter(3, clock=clock), "k", 5) == 3
    assert _allowed(RateLimiter(0, path=tmp_path / "x.sqlite"), "k", 500) == 500
