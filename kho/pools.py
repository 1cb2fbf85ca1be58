"""Pools shared by a process: thread pools made anew after a fork, and the bounded worker
processes in which hostile input is parsed.

A forked child (a `kho serve --workers N` worker) has none of
its parent's threads, so a thread pool inherited from the parent would take work and never
run it. Each `ForkSafePool` creates its threads on first use in each process.

`process_pool` is the one set of worker processes (pebble's ProcessPool: a task past its
timeout has its worker killed and replaced) where text extraction
(indexer/extractors/sandbox.py) and signature validation (archive/signatures/bounded.py)
run, each task under `address_space_limit`: a file that needs too much time or memory
costs a worker, never the server. The pool lives as long as the process and is shared by
every Services in it, so a task pays for a pipe round trip, not for a process start.

Workers are reused, and a worker keeps the address space its largest task left it (the
allocator rarely gives it back). `run_bounded` sends a task only to a worker still well
under the task's own limit: one that is not exits at once (STALE_WORKER) and the task goes
to its fresh replacement. Otherwise a small file after a large one would be judged by the
large one's peak, and a limit below the worker's present size would fail every allocation.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import multiprocessing
import os
import resource
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from pebble import ProcessExpired, ProcessPool

from kho.errors import Unavailable

__all__ = [
    "NEAR",
    "STALE_WORKER",
    "ForkSafePool",
    "address_space_limit",
    "peak_bytes",
    "process_pool",
    "run_bounded",
    "shutdown_process_pool",
]

NEAR = 0.9  # a worker whose address space reached this share of a limit is near it
STALE_WORKER = 76  # a worker's exit code: too large already for the task it was given


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


_processes: ProcessPool | None = None
_processes_lock = threading.Lock()


def process_pool(workers: int) -> ProcessPool:
    """This process's worker processes (`workers` of them, as the first caller asked)."""
    global _processes
    with _processes_lock:
        if _processes is None or not _processes.active:
            if _processes is not None:  # broken (a worker died idle): its workers go too
                _processes.stop()  # type: ignore[no-untyped-call]
                _processes.join()
            # forkserver: workers start from a clean interpreter, never forked from a server
            # with threads. Preloading pypdf and pyHanko makes a new worker quick to start;
            # not Kho's own modules: the fork server imports before it takes our sys.path,
            # and a `kho` folder in the working directory would shadow the installed package.
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["pypdf", "pyhanko.sign.validation"])
            _start_quiet_forkserver()
            _processes = ProcessPool(max_workers=workers, context=context)
            atexit.register(shutdown_process_pool)
        return _processes


def _start_quiet_forkserver() -> None:
    """Start the fork server with its stderr on /dev/null. A worker it forks that fails
    before it runs any of our code (the parent exiting while the worker still starts)
    prints a traceback through the fork server's stderr, which is the command's own: on
    `kho ingest` that is noise after a clean run. Workers report every failure of ours as
    a result (a pickled exception), so their stderr carries nothing the user needs."""
    from multiprocessing import forkserver

    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        forkserver.ensure_running()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def shutdown_process_pool() -> None:
    global _processes
    with _processes_lock:
        if _processes is not None:
            _processes.close()  # type: ignore[no-untyped-call]
            _processes.join(timeout=5)
            _processes = None
            # The pool's semaphores are released when collected; collect now, while the
            # resource tracker can still be told, or it warns of "leaked" ones at exit.
            gc.collect()


@contextlib.contextmanager
def address_space_limit(limit: int) -> Iterator[None]:
    """This process's address space capped at `limit` bytes (RLIMIT_AS, never above a
    hard limit already set) while the block runs: past it, allocations raise MemoryError."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    wanted = limit if hard == resource.RLIM_INFINITY else min(hard, limit)
    resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def peak_bytes() -> int | None:
    """The most address space this process has held (Linux's VmPeak), if known."""
    try:
        with Path("/proc/self/status").open(encoding="ascii") as status:
            for line in status:
                if line.startswith("VmPeak:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _in_a_fresh_enough_worker(
    fn: Callable[..., Any], memory_bytes: int, args: tuple[Any, ...]
) -> Any:
    peak = peak_bytes()
    if peak is not None and peak >= NEAR * memory_bytes:
        os._exit(STALE_WORKER)  # pebble replaces this worker; run_bounded tries again
    return fn(*args)


def run_bounded(
    workers: int,
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    *,
    timeout: float,
    memory_bytes: int,
) -> Any:
    """`fn(*args)` in a worker of `process_pool(workers)` whose address space has stayed
    under NEAR x `memory_bytes` until now (`fn` applies the limit itself). Raises what `fn`
    raises, concurrent.futures.TimeoutError past `timeout` and pebble's ProcessExpired if
    the worker died. A pool pebble found broken (a worker that died while idle, killed
    from outside) is replaced and the task sent again; one that breaks every time (its
    workers die before they can run the task) is Unavailable (503), not a traceback."""
    failed: ProcessExpired | BrokenProcessPool | None = None
    for _ in range(workers + 2):  # each stale worker is replaced by a fresh one
        future = process_pool(workers).schedule(
            _in_a_fresh_enough_worker, args=(fn, memory_bytes, args), timeout=timeout
        )
        try:
            return future.result()
        except ProcessExpired as expired:
            if expired.exitcode != STALE_WORKER:
                raise
            failed = expired
        except BrokenProcessPool as broken:
            failed = broken  # process_pool() makes a new pool: this one is no longer active
    assert failed is not None
    if isinstance(failed, BrokenProcessPool):
        raise Unavailable(
            "the worker processes for extraction and validation die before they can run "
            "a task (see the server's log)"
        ) from failed
    raise failed
