"""The local folder's grouped writes (a deposit's files, one group of fsyncs) and its
non-durable removal of markers."""

from __future__ import annotations

import os
from pathlib import Path

from kho.archive.store import BatchingStore
from kho.archive.stores.local import LocalObjectStore


def test_put_many_writes_every_object_and_keeps_what_existed(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "store")
    assert isinstance(store, BatchingStore)
    store.put("a/kept", b"old")
    written = store.put_many(
        [("a/kept", b"new", True), ("a/b/c/new", b"one", True), ("x/replaced", b"two", False)]
    )
    assert written == [False, True, True]
    assert store.get("a/kept") == b"old"
    assert store.get("a/b/c/new") == b"one"
    assert store.get("x/replaced") == b"two"
    assert store.put_many([("x/replaced", b"three", False)]) == [True]
    assert store.get("x/replaced") == b"three"
    # no temporary file left behind
    leftovers = [n for _d, _s, files in os.walk(store.root) for n in files if ".tmp-" in n]
    assert leftovers == []


def test_discard_removes_a_marker_and_absent_is_fine(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "store")
    store.put("outbox/r.json", b"{}")
    store.discard("outbox/r.json")
    assert not store.exists("outbox/r.json")
    store.discard("outbox/r.json")
