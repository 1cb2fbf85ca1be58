"""The ObjectStore protocol: the archive's system of record, and the rules for its keys.

Every implementation (archive/stores/local.py, archive/stores/minio.py) passes the same
contract tests (tests/contract/test_object_store.py). Implementations translate their
backend's errors into archive.errors: ObjectNotFound, ObjectExists, StoreUnavailable.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO, Protocol, runtime_checkable

from kho.archive.errors import InvalidKey

__all__ = ["BatchingStore", "ObjectInfo", "ObjectStore", "RetainingStore", "check_key"]

_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]*(/[A-Za-z0-9][A-Za-z0-9._\-]*)*$", re.ASCII)


def check_key(key: str) -> str:
    """Return `key` if it is a safe object key, else raise InvalidKey.

    Keys are relative, '/'-separated names of letters, digits, '.', '_' and '-', each part
    starting with a letter or digit (so no '..', no hidden files, no absolute paths).
    """
    if not isinstance(key, str) or len(key) > 512 or not _KEY.fullmatch(key):
        raise InvalidKey(f"unsafe object key {key!r}")
    return key


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    modified: datetime | None = None


@runtime_checkable
class ObjectStore(Protocol):
    """Durable storage of immutable objects under string keys."""

    name: str

    def put(
        self,
        key: str,
        data: bytes | BinaryIO,
        *,
        create_only: bool = False,
        retain_until: datetime | None = None,
    ) -> ObjectInfo:
        """Store `data` (bytes, or a binary file read to its end) under `key`.

        Returns only once the object is durable: a crash after the return never loses it,
        a crash before it leaves either the old object or nothing, never a partial one.
        With `create_only`, raise ObjectExists if the key already exists; of two concurrent
        create-only writers of one key exactly one succeeds. `retain_until` asks for
        write-once protection until that instant where the backend offers it (object lock
        on MinIO); a backend without it may ignore it.
        """
        ...

    def get(self, key: str) -> bytes:
        """The whole object (for small objects: manifests, reports). ObjectNotFound if absent."""
        ...

    def stream(
        self, key: str, *, start: int = 0, length: int | None = None, chunk_size: int = 65536
    ) -> Iterator[bytes]:
        """The bytes [start, start+length) of an object in chunks, without holding it in memory.

        Raises ObjectNotFound before returning (not on first iteration) if the key is absent.
        """
        ...

    def stat(self, key: str) -> ObjectInfo:
        """Size and modification time; ObjectNotFound if absent."""
        ...

    def exists(self, key: str) -> bool: ...

    def list(self, prefix: str) -> Iterator[str]:
        """Every key that starts with `prefix` (a folder-like prefix ending in '/'), sorted."""
        ...

    def delete(self, key: str) -> None:
        """Remove an object (absent is fine); ObjectProtected if write-once retention forbids it.

        Only disposal and the clean-up of unacknowledged writes call this."""
        ...

    def check(self) -> None:
        """Raise StoreUnavailable unless the store can be read and written now."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class RetainingStore(Protocol):
    """A store that can put an object under write-once retention after it was written, and
    say until when (both stores do; a test fake need not)."""

    def retain(self, key: str, until: datetime, *, mode: str = "COMPLIANCE") -> None:
        """Keep `key` write-once until `until` (extended, never shortened): on MinIO object
        lock retention in `mode`, which in COMPLIANCE not even the root user can shorten or
        bypass. ObjectNotFound if absent."""
        ...

    def retained_until(self, key: str) -> datetime | None:
        """Until when `key` is kept write-once (None: no date). ObjectNotFound if absent."""
        ...


@runtime_checkable
class BatchingStore(Protocol):
    """A store that writes several small objects with their durability grouped (the local
    folder: its fsyncs), and drops markers without making the removal durable."""

    def put_many(self, items: Sequence[tuple[str, bytes, bool]]) -> list[bool]:
        """Store every (key, bytes, create_only); durable before it returns, as `put`. For
        each, whether it was written (False: a create-only key that existed, left as is)."""
        ...

    def discard(self, key: str) -> None:
        """Remove an object whose removal need not survive a crash (absent is fine)."""
        ...
