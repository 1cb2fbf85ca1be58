"""Thread pools shared by a process and made anew after a fork.

A forked child (a `kho serve --workers N` worker, a `kho ingest --jobs N` job) has none of
its parent's threads, so a pool inherited from the parent would take work and never run
it. Each `ForkSafePool` creates its threads on first use in each process.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

__all__ = ["ForkSafePool"]


class ForkSafePool:
    def __init__(self, name: str, *, workers: int = 8) -> None:
        self.name = name
        self.workers = workers
        self._pool: ThreadPoolExecutor | None = None
        self._pid = 0
        self._lock = threading.Lock()

    def __call__(self) -> ThreadPoolExecutor:
        """This process's pool."""
        with self._lock:
            if self._pool is None or self._pid != os.getpid():
                self._pool = ThreadPoolExecutor(
                    max_workers=self.workers, thread_name_prefix=self.name
                )
                self._pid = os.getpid()
            return self._pool
