"""MinIO specifics beyond the ObjectStore contract: object lock, multipart create-only,
streaming without holding a file in memory."""

from __future__ import annotations

import threading
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from minio import Minio

from kho.archive.errors import ObjectExists, ObjectProtected
from kho.archive.stores.minio import PART_SIZE, MinioObjectStore
from kho.settings import Settings

pytestmark = pytest.mark.integration


@pytest.fixture
def store(settings: Settings) -> Iterator[MinioObjectStore]:
    built = MinioObjectStore.from_settings(settings)
    try:
        yield built
    finally:
        built.close()


@pytest.fixture
def minio(settings: Settings) -> Minio:
    return Minio(
        settings.minio_endpoint,
        access_key=settings.minio_access_key,
        secret_key=settings.minio_secret_key,
        secure=False,
    )


def test_the_bucket_is_made_with_versioning_and_object_lock(
    store: MinioObjectStore, minio: Minio
) -> None:
    store.check()
    assert minio.get_bucket_versioning(store.bucket).status == "Enabled"
    minio.get_object_lock_config(store.bucket)  # raises if the bucket has no object lock


def test_object_lock_refuses_deletion_until_retention_ends(
    store: MinioObjectStore, minio: Minio
) -> None:
    until = datetime.now(UTC) + timedelta(seconds=4)
    store.put("audit/sealed/0001.json", b'{"events": []}', create_only=True, retain_until=until)
    retention = minio.get_object_retention(store.bucket, "audit/sealed/0001.json")
    assert retention is not None and retention.mode == "GOVERNANCE"

    with pytest.raises(ObjectProtected):
        store.delete("audit/sealed/0001.json")
    assert store.get("audit/sealed/0001.json") == b'{"events": []}'
    # overwriting adds a version; the protected one stays and still blocks deletion
    store.put("audit/sealed/0001.json", b"tampered")
    with pytest.raises(ObjectProtected):
        store.delete("audit/sealed/0001.json")
    assert store.exists("audit/sealed/0001.json")

    time.sleep(max(0.0, (until - datetime.now(UTC)).total_seconds()) + 1.0)
    store.delete("audit/sealed/0001.json")
    assert not store.exists("audit/sealed/0001.json")
    versions = list(minio.list_objects(store.bucket, prefix="audit/sealed/", include_version=True))
    assert versions == []  # every version went, no delete marker left behind


def test_of_concurrent_multipart_create_only_writers_exactly_one_wins(
    store: MinioObjectStore, tmp_path: Path
) -> None:
    size = PART_SIZE + 123_457  # two parts each
    wins: list[int] = []
    losses: list[int] = []
    barrier = threading.Barrier(4)

    def attempt(n: int) -> None:
        path = tmp_path / f"writer-{n}"
        path.write_bytes(bytes([n]) * size)
        barrier.wait()
        with path.open("rb") as stream:
            try:
                store.put("originals/race", stream, create_only=True)
                wins.append(n)
            except ObjectExists:
                losses.append(n)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1 and len(losses) == 3
    assert store.stat("originals/race").size == size
    assert b"".join(store.stream("originals/race", start=size - 3)) == bytes([wins[0]]) * 3


def test_a_large_file_is_streamed_in_and_out_in_bounded_memory(
    store: MinioObjectStore, tmp_path: Path
) -> None:
    path = tmp_path / "big.pdf"
    block = bytes(range(256)) * 4096  # 1 MiB
    with path.open("wb") as out:
        for n in range(40):
            out.write(bytes([n]) + block[1:])
    size = path.stat().st_size

    tracemalloc.start()
    try:
        with path.open("rb") as stream:
            info = store.put("originals/big", stream, create_only=True)
        peak_in = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        seen = 0
        for chunk in store.stream("originals/big"):
            seen += len(chunk)
        peak_out = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert info.size == size == seen
    assert peak_in < 2 * PART_SIZE, f"upload held {peak_in} bytes"
    assert peak_out < PART_SIZE, f"download held {peak_out} bytes"
    middle = 20 * len(block)
    assert (
        b"".join(store.stream("originals/big", start=middle, length=4)) == bytes([20]) + block[1:4]
    )
