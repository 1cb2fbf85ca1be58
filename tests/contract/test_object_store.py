"""The ObjectStore contract: every implementation (local folder, MinIO) must pass these."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator

import pytest

from kho.archive.errors import InvalidKey, ObjectExists, ObjectNotFound
from kho.archive.store import ObjectStore
from kho.settings import Settings
from kho.wiring import build_store


@pytest.fixture
def store(settings: Settings) -> Iterator[ObjectStore]:
    built = build_store(settings)
    try:
        yield built
    finally:
        built.close()


def test_put_then_get_returns_the_same_bytes(store: ObjectStore) -> None:
    info = store.put("a/b/c.json", b'{"x": 1}')
    assert info.size == 8
    assert store.get("a/b/c.json") == b'{"x": 1}'
    assert store.exists("a/b/c.json")
    assert store.stat("a/b/c.json").size == 8


def test_put_from_a_file_object_streams_it(store: ObjectStore) -> None:
    payload = bytes(range(256)) * 40_000  # 10 MB, more than one chunk
    store.put("big/blob", io.BytesIO(payload))
    assert store.stat("big/blob").size == len(payload)
    assert b"".join(store.stream("big/blob")) == payload


def test_put_overwrites_unless_create_only(store: ObjectStore) -> None:
    store.put("k", b"one")
    store.put("k", b"two")
    assert store.get("k") == b"two"
    with pytest.raises(ObjectExists):
        store.put("k", b"three", create_only=True)
    assert store.get("k") == b"two"


def test_of_concurrent_create_only_writers_exactly_one_wins(store: ObjectStore) -> None:
    wins: list[int] = []
    losses: list[int] = []
    barrier = threading.Barrier(8)

    def attempt(n: int) -> None:
        barrier.wait()
        try:
            store.put("race/key", f"writer {n}".encode(), create_only=True)
            wins.append(n)
        except ObjectExists:
            losses.append(n)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1
    assert len(losses) == 7
    assert store.get("race/key") == f"writer {wins[0]}".encode()


def test_missing_objects_raise_object_not_found(store: ObjectStore) -> None:
    with pytest.raises(ObjectNotFound):
        store.get("nope")
    with pytest.raises(ObjectNotFound):
        store.stat("nope")
    with pytest.raises(ObjectNotFound):
        store.stream("nope")  # eagerly, before iteration
    assert not store.exists("nope")


def test_ranges_are_served_without_reading_the_rest(store: ObjectStore) -> None:
    store.put("r", b"0123456789")
    assert b"".join(store.stream("r", start=2, length=3)) == b"234"
    assert b"".join(store.stream("r", start=7)) == b"789"
    assert b"".join(store.stream("r", start=0, length=10)) == b"0123456789"


def test_list_returns_every_key_under_a_prefix_sorted(store: ObjectStore) -> None:
    for key in ("p/b", "p/a", "p/sub/c", "q/x", "pp/y"):
        store.put(key, b"x")
    assert list(store.list("p/")) == ["p/a", "p/b", "p/sub/c"]
    assert list(store.list("empty/")) == []


def test_delete_removes_and_tolerates_absence(store: ObjectStore) -> None:
    store.put("d", b"x")
    store.delete("d")
    assert not store.exists("d")
    store.delete("d")


@pytest.mark.parametrize(
    "key", ["../etc/passwd", "/abs", "a/../b", "a//b", ".hidden", "a/.x", "", "a\\b", "ä", "a b"]
)
def test_unsafe_keys_are_refused(store: ObjectStore, key: str) -> None:
    with pytest.raises(InvalidKey):
        store.put(key, b"x")
    with pytest.raises(InvalidKey):
        store.get(key)


def test_check_passes_on_a_working_store(store: ObjectStore) -> None:
    store.check()
