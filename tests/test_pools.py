"""kho/pools.py: one pool per process, working in a forked child too; bounded tasks go to
workers still small enough for them."""

from __future__ import annotations

import os
import signal
import sys
import time
import types
from concurrent.futures import ThreadPoolExecutor

import pytest
from support import workers as workers_tasks

from kho.errors import Unavailable
from kho.pools import NEAR, ForkSafePool, peak_bytes, run_bounded, shutdown_process_pool

MB = 2**20


def test_the_pool_is_shared_in_a_process() -> None:
    pool = ForkSafePool("kho-test")
    assert pool() is pool()
    assert pool().submit(lambda: 6 * 7).result(timeout=10) == 42


def test_a_forked_child_gets_threads_of_its_own() -> None:
    pool = ForkSafePool("kho-test-fork", workers=1)
    parent = pool()
    assert parent.submit(os.getpid).result(timeout=10) == os.getpid()  # its thread started
    child = os.fork()
    if child == 0:  # the child: the parent's pool has no threads here
        code = 1
        try:
            mine = pool()
            if mine is not parent and mine.submit(os.getpid).result(timeout=10) == os.getpid():
                code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_a_task_is_never_judged_by_an_earlier_tasks_peak() -> None:
    shutdown_process_pool()  # a pool of two, made anew
    workers = 2
    roomy = 64 * 1024 * MB
    fresh = run_bounded(workers, peak_bytes, (), timeout=60, memory_bytes=roomy)
    assert fresh is not None and fresh > 0

    def grow(_: int) -> int:
        return int(
            run_bounded(workers, workers_tasks.grow, (400 * MB,), timeout=60, memory_bytes=roomy)
        )

    with ThreadPoolExecutor(workers) as threads:  # every worker grows past 400 MB
        grown = list(threads.map(grow, range(2 * workers)))
    assert min(grown) > fresh + 300 * MB
    # A limit the grown workers are past but a fresh one is well under.
    limit = int((fresh + 150 * MB) / NEAR)
    for _ in range(2 * workers):
        start = run_bounded(workers, peak_bytes, (), timeout=60, memory_bytes=limit)
        assert start < NEAR * limit  # a fresh worker, not a grown one


def test_a_worker_killed_while_idle_costs_no_task() -> None:
    shutdown_process_pool()
    workers = 2
    roomy = 64 * 1024 * MB
    pids = {run_bounded(workers, os.getpid, (), timeout=60, memory_bytes=roomy) for _ in range(4)}
    for pid in pids:  # killed from outside (an operator, the OOM killer) while idle
        os.kill(pid, signal.SIGKILL)
    time.sleep(0.5)  # pebble finds its pool broken: no task was running
    after = [run_bounded(workers, os.getpid, (), timeout=60, memory_bytes=roomy) for _ in range(4)]
    assert not pids & set(after)


def test_a_pool_whose_workers_always_die_is_unavailable_not_a_traceback() -> None:
    # A task no worker can unpickle (its module exists only in this process): every worker
    # dies on receiving it and pebble calls each new pool broken in turn.
    ghost = types.ModuleType("kho_test_ghost_module")
    exec("def task():\n    return 42\n", ghost.__dict__)
    sys.modules[ghost.__name__] = ghost
    shutdown_process_pool()
    try:
        with pytest.raises(Unavailable) as refused:
            run_bounded(2, ghost.task, (), timeout=60, memory_bytes=64 * 1024 * MB)
        assert "worker processes" in refused.value.detail
        assert run_bounded(2, os.getpid, (), timeout=60, memory_bytes=64 * 1024 * MB) != os.getpid()
    finally:
        del sys.modules[ghost.__name__]
