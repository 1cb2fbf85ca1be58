"""The bounded extraction workers on their own: decompressed bytes are bounded inside the
decoding (a huge stream is cut off, not inflated first), a worker over its time is killed
and replaced, one over its memory is stopped, and a normal file is extracted as before."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from support.bombs import bomb_pdf

from kho.indexer.extractors.sandbox import ExtractionLimit, ExtractionLimits, SandboxedExtractor

MB = 1024 * 1024


def sandbox(**changes: float) -> SandboxedExtractor:
    limits = {
        "max_bytes": 64 * MB,
        "inflate_ratio": 100,
        "memory_bytes": 1024 * MB,
        "timeout_s": 30.0,
        "max_pages": 2000,
    }
    limits.update(changes)
    return SandboxedExtractor(ExtractionLimits(**limits))  # type: ignore[arg-type]


def test_a_small_file_inflating_to_megabytes_is_refused_at_once() -> None:
    extractor = sandbox()
    extractor.extract(bomb_pdf(0.01))  # the workers are up
    bomb = bomb_pdf(10)
    assert len(bomb) < 40_000
    started = time.monotonic()
    with pytest.raises(ExtractionLimit, match="inflates to more than 4 MB"):
        extractor.extract(bomb)
    assert time.monotonic() - started < 2.0


def test_a_huge_stream_is_cut_off_inside_the_decoder() -> None:
    """A 300 MB stream under a 64 MB budget: stopped at the budget, in well under the time
    and memory inflating it all would take."""
    extractor = sandbox(inflate_ratio=100_000)
    bomb = bomb_pdf(300)
    started = time.monotonic()
    with pytest.raises(ExtractionLimit, match="more than 64 MB"):
        extractor.extract(bomb)
    assert time.monotonic() - started < 5.0


def test_many_pages_count_against_one_budget() -> None:
    extractor = sandbox(max_bytes=2 * MB, inflate_ratio=100_000)
    with pytest.raises(ExtractionLimit, match="more than 2 MB"):
        extractor.extract(bomb_pdf(0.3, pages=10))


def test_a_worker_over_its_time_is_killed_and_replaced(make_pdf: Callable[..., bytes]) -> None:
    extractor = sandbox(timeout_s=1.0)
    slow = bomb_pdf(3.9)  # under the 4 MB floor, but seconds of pure-Python parsing
    started = time.monotonic()
    with pytest.raises(ExtractionLimit, match="longer than 1 s"):
        extractor.extract(slow)
    assert time.monotonic() - started < 3.0
    # The next file is served by a fresh worker.
    assert "TRẦN VĂN ĐỨC" in extractor.extract(make_pdf()).text


def test_a_worker_over_its_memory_is_stopped(make_pdf: Callable[..., bytes]) -> None:
    extractor = sandbox(max_bytes=2048 * MB, inflate_ratio=100_000, memory_bytes=300 * MB)
    with pytest.raises(ExtractionLimit, match="memory"):
        extractor.extract(bomb_pdf(400))
    assert extractor.extract(make_pdf()).pages == 1
