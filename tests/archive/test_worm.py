"""WORM on the originals: the stores refuse to delete an original before its retention
ends — on real MinIO with COMPLIANCE object lock even with the root credentials."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from kho.archive.errors import ObjectProtected
from kho.archive.stores.local import LocalObjectStore
from kho.services import Access, Services
from kho.settings import Settings


def test_an_original_cannot_be_deleted_before_its_date(
    settings: Settings, stack: str, tmp_path: Path
) -> None:
    """Embedded: the local store keeps the date beside the read-only file. MinIO: below."""
    if stack != "embedded":
        _compliance_on_real_minio(settings)
        return
    store = LocalObjectStore(tmp_path / "store")
    store.put("originals/ab/abc", b"signed")
    store.retain("originals/ab/abc", datetime.now(UTC) + timedelta(days=1))
    with pytest.raises(ObjectProtected):
        store.delete("originals/ab/abc")
    # Never shortened: an earlier date changes nothing.
    store.retain("originals/ab/abc", datetime.now(UTC) + timedelta(seconds=1))
    with pytest.raises(ObjectProtected):
        store.delete("originals/ab/abc")
    store.put("originals/ab/old", b"signed")
    store.retain("originals/ab/old", datetime.now(UTC) + timedelta(seconds=1))
    time.sleep(1.2)
    store.delete("originals/ab/old")  # due: it may go
    assert not store.exists("originals/ab/old")
    assert list(store.list("originals/")) == ["originals/ab/abc"]  # the date is no key


def test_a_deposit_locks_its_original_until_retain_until(
    services: Services,
    signed_pdf: Callable[..., bytes],
    metadata: Callable[..., dict[str, Any]],
) -> None:
    record = services.deposit.deposit(
        signed_pdf("GIẤY KHAI SINH", ("Số", "worm-1")), "a.pdf", metadata(), Access.system()
    ).record
    key = services.backends.packages.original_key(record["sha256"])
    store = services.backends.store
    until = store.retained_until(key)  # type: ignore[attr-defined]
    # A result type no rule names is permanent: locked for the renewed horizon.
    assert until is not None and until > datetime.now(UTC) + timedelta(days=365 * 9)
    with pytest.raises(ObjectProtected):
        store.delete(key)
    assert store.exists(key)


def _compliance_on_real_minio(settings: Settings) -> None:
    """COMPLIANCE object lock: the root user cannot remove any version before the date;
    afterwards Kho can (a short lock, so the test bucket can still be removed)."""
    from kho.archive.stores.minio import MinioObjectStore
    from tests.support.tamper import minio_client

    store = MinioObjectStore.from_settings(settings)
    key = "originals/cd/worm-compliance"
    store.put(key, b"signed bytes")
    store.retain(key, datetime.now(UTC) + timedelta(seconds=4), mode="COMPLIANCE")
    root = minio_client(settings)  # the root credentials of the test MinIO
    versions = list(root.list_objects(settings.minio_bucket, prefix=key, include_version=True))
    assert versions
    from minio.error import S3Error

    for version in versions:
        with pytest.raises(S3Error) as refused:
            root.remove_object(settings.minio_bucket, key, version_id=version.version_id)
        assert refused.value.code in ("AccessDenied", "InvalidRequest")
    with pytest.raises(ObjectProtected):
        store.delete(key)
    assert store.get(key) == b"signed bytes"
    time.sleep(5)
    store.delete(key)  # its retention is over: now it may go
    assert not store.exists(key)
