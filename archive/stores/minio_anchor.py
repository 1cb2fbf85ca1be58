"""The audit anchor on MinIO: each checkpoint a create-only object under object lock.

`audit/checkpoints/<seq>.json`, written with `If-None-Match: *` and retention in COMPLIANCE
mode (by default; KHO_AUDIT_CHECKPOINT_LOCK_MODE): unlike the GOVERNANCE mode of the rest of
the archive, no user can remove or shorten it before its retention ends, which is what an
anchor is for — the store's own writer must not be able to take it back. Each object is a
few hundred bytes, one per `KHO_AUDIT_CHECKPOINT_EVENTS` events or
`KHO_AUDIT_CHECKPOINT_AFTER_S` seconds.

A writer with the bucket's credentials can still hide a version behind a delete marker or
put a newer version over the key; the reader therefore lists every version of every
checkpoint object and takes the highest validly signed one, reporting any unsigned one it
meets on the way down.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

from kho.archive.audit.anchor import AnchorReading, read_candidates
from kho.archive.audit.checkpoint import Checkpoint, CheckpointKey
from kho.archive.errors import ObjectExists
from kho.archive.stores.minio import MinioObjectStore

__all__ = ["CHECKPOINTS", "MinioCheckpointAnchor"]

CHECKPOINTS = "audit/checkpoints/"


def _seq_of(where: str) -> int | None:
    name = where.split("@", 1)[0].rsplit("/", 1)[-1]
    stem = name.removesuffix(".json")
    return int(stem) if stem.isdigit() else None


class MinioCheckpointAnchor:
    name = "minio"

    def __init__(self, store: MinioObjectStore, *, retain_until: Callable[[], datetime]) -> None:
        self.store = store
        self._retain_until = retain_until

    def write(self, checkpoint: Checkpoint) -> None:
        key = f"{CHECKPOINTS}{checkpoint.seq:012d}.json"
        try:
            self.store.put(
                key, checkpoint.to_bytes(), create_only=True, retain_until=self._retain_until()
            )
        except ObjectExists:
            return  # another process anchored this event first

    def _candidates(self) -> Iterator[tuple[str, bytes]]:
        self.store._ensure_bucket()
        client, bucket = self.store._client, self.store.bucket
        with self.store._errors(CHECKPOINTS, "list the audit checkpoints"):
            versions = [
                (obj.object_name or "", obj.version_id, obj.last_modified)
                for obj in client.list_objects(
                    bucket, prefix=CHECKPOINTS, recursive=True, include_version=True
                )
                if obj.object_name and not obj.is_delete_marker and not obj.is_dir
            ]
        versions.sort(key=lambda v: (v[0], v[2].timestamp() if v[2] else 0.0), reverse=True)
        for name, version_id, _modified in versions:
            with self.store._errors(name, "read an audit checkpoint"):
                response = client.get_object(bucket, name, version_id=version_id)
                try:
                    data = response.read()
                finally:
                    response.close()
                    response.release_conn()
            yield f"{name}@{version_id}", data

    def latest(self, key: CheckpointKey) -> AnchorReading:
        return read_candidates(self._candidates(), key, _seq_of)

    def close(self) -> None:
        self.store.close()
