"""kho/pools.py: one pool per process, working in a forked child too."""

from __future__ import annotations

import os

from kho.pools import ForkSafePool


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
