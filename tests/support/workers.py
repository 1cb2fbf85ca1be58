"""Tasks for the bounded worker processes in tests. A task must live in a module the worker
can import by name (`support.workers`, since pytest puts tests/ on sys.path and the worker
gets the parent's); a function in a test module is pickled as `tests.test_x`, which the
worker cannot import under --import-mode=importlib."""

from __future__ import annotations

from kho.pools import peak_bytes


def grow(size: int) -> int:
    """Hold `size` bytes for a moment; this process's peak after."""
    block = bytearray(size)
    block[-1] = 1
    del block
    return peak_bytes() or 0
