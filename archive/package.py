"""Archival packages in the object store: where each part of a record lives, and how it is
written so that a crash never shows a partial record.

Layout (all keys relative to the store):
  originals/<sha[:2]>/<sha256>                the signed bytes, content-addressed
  records/<record_id>/manifest/v<NNNNNN>.json the manifest versions (create-only)
  records/<record_id>/text.json               extracted text per page (for reindex)
  records/<record_id>/validations/<ULID>.json  every signature validation report
  claims/<h[:2]>/<h>/<NNNN>.json              (issuer_code, result_code) → record_id; the
                                              record exists once its claim does; a result
                                              superseded under the same code gets the next
                                              number, the highest is the current one
  content/<sha[:2]>/<sha256>/<NNNN>.json     sha256 → the (issuer_code, result_code) those
                                              bytes are archived under (one signed result,
                                              one record); the highest number is current
  outbox/<record_id>.json                     records whose index update is pending

A deposit writes original, text, report, manifest, outbox entry and content claim first and
the claim last: a crash before the claim leaves only unreferenced objects, invisible to
every reader and to `kho reindex`, which walks the claims. A content claim names a result
code, not a record, so it is honoured only while a claim of that code holds those bytes
(services/content_claims.py).

Every write returns a `Written` (key and SHA-256 of the bytes stored), which the services
put into the audit event of the change, so `kho fixity` can tell a package file rewritten
afterwards from the one that was audited.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO, NamedTuple

from ulid import ULID

from kho.archive.errors import ObjectExists, ObjectNotFound
from kho.archive.manifest import Manifest
from kho.archive.store import BatchingStore, ObjectStore
from kho.pools import ForkSafePool

__all__ = ["Claim", "ContentClaim", "Packages", "Written", "claim_hash"]


def claim_hash(issuer_code: str, result_code: str) -> str:
    return hashlib.sha256(f"{issuer_code}\x00{result_code}".encode()).hexdigest()


@dataclass(frozen=True)
class Claim:
    issuer_code: str
    result_code: str
    record_id: str
    sha256: str

    def to_bytes(self) -> bytes:
        return json.dumps(self.__dict__, ensure_ascii=False, sort_keys=True).encode("utf-8")


@dataclass(frozen=True)
class ContentClaim:
    """Who archives these bytes: a result code (`released` when its deposit gave up)."""

    sha256: str
    issuer_code: str | None
    result_code: str | None
    record_id: str | None
    at: datetime
    generation: int
    released: bool = False

    def to_bytes(self) -> bytes:
        data = {k: v for k, v in self.__dict__.items() if k != "generation"}
        return _json(data)

    @classmethod
    def from_bytes(cls, data: bytes, generation: int) -> ContentClaim:
        raw = json.loads(data)
        return cls(
            sha256=str(raw["sha256"]),
            issuer_code=raw.get("issuer_code"),
            result_code=raw.get("result_code"),
            record_id=raw.get("record_id"),
            at=datetime.fromisoformat(str(raw["at"])),
            generation=generation,
            released=bool(raw.get("released", False)),
        )


class Written(NamedTuple):
    """An object as it was written: its key and the SHA-256 (hex) of its bytes."""

    key: str
    sha256: str

    @classmethod
    def of(cls, key: str, data: bytes) -> Written:
        return cls(key, hashlib.sha256(data).hexdigest())


def _json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8")


# Threads that write the files of one package at once to a store without `put_many`
# (MinIO: one request each, so they overlap).
_writers = ForkSafePool("kho-package")


class Packages:
    """Reads and writes the parts of archival packages through an ObjectStore."""

    def __init__(self, store: ObjectStore) -> None:
        self.store = store

    # -- originals -------------------------------------------------------------------------

    @staticmethod
    def original_key(sha256: str) -> str:
        return f"originals/{sha256[:2]}/{sha256}"

    def put_original(self, sha256: str, data: bytes | BinaryIO) -> Written:
        # Content-addressed: if the name exists, it holds these same bytes.
        with contextlib.suppress(ObjectExists):
            self.store.put(self.original_key(sha256), data, create_only=True)
        return Written(self.original_key(sha256), sha256)

    def stream_original(
        self, sha256: str, *, start: int = 0, length: int | None = None
    ) -> Iterator[bytes]:
        return self.store.stream(self.original_key(sha256), start=start, length=length)

    # -- manifests -------------------------------------------------------------------------

    @staticmethod
    def _manifest_prefix(record_id: str) -> str:
        return f"records/{record_id}/manifest/"

    def write_manifest(self, manifest: Manifest) -> Written:
        """Write a new manifest version; ObjectExists if that version was written meanwhile
        (the caller re-reads the latest and tries again)."""
        key = f"{self._manifest_prefix(manifest.record_id)}v{manifest.version:06d}.json"
        data = manifest.to_bytes()
        self.store.put(key, data, create_only=True)
        return Written.of(key, data)

    def manifest_versions(self, record_id: str) -> list[str]:
        return sorted(self.store.list(self._manifest_prefix(record_id)))

    def latest_manifest(self, record_id: str) -> Manifest:
        versions = self.manifest_versions(record_id)
        if not versions:
            raise ObjectNotFound(f"record {record_id} not found")
        return Manifest.from_bytes(self.store.get(versions[-1]))

    def manifest_history(self, record_id: str) -> list[Manifest]:
        return [Manifest.from_bytes(self.store.get(k)) for k in self.manifest_versions(record_id)]

    # -- text and validation reports -------------------------------------------------------

    def put_text(self, record_id: str, page_texts: tuple[str, ...]) -> Written:
        key, data = f"records/{record_id}/text.json", _json({"pages": list(page_texts)})
        self.store.put(key, data)
        return Written.of(key, data)

    # -- a new record's files, together ---------------------------------------------------

    def put_new_record(
        self,
        *,
        sha256: str,
        original: bytes,
        record_id: str,
        page_texts: tuple[str, ...],
        report: dict[str, Any],
        manifest_for: Callable[[str], Manifest],
        outbox_at: datetime,
    ) -> tuple[list[Written], Manifest]:
        """A deposit's files: the original, its text, its validation report, the first
        manifest (`manifest_for` the report's key) and the outbox entry, all durable when
        it returns, written together (one group of fsyncs on the local folder, overlapping
        requests on MinIO). The claim that makes them visible comes after, separately.
        ObjectExists if the manifest or report was written meanwhile."""
        report_key = f"records/{record_id}/validations/{ULID()}.json"
        report_data = _json(report)
        manifest = manifest_for(report_key)
        text_key = f"records/{record_id}/text.json"
        text_data = _json({"pages": list(page_texts)})
        manifest_key = f"{self._manifest_prefix(record_id)}v{manifest.version:06d}.json"
        manifest_data = manifest.to_bytes()
        outbox_key, outbox_data = self._outbox_object(record_id, outbox_at)
        files = [
            Written(self.original_key(sha256), sha256),
            Written.of(text_key, text_data),
            Written.of(report_key, report_data),
            Written.of(manifest_key, manifest_data),
        ]
        store = self.store
        if isinstance(store, BatchingStore):
            written = store.put_many(
                [
                    (self.original_key(sha256), original, True),
                    (text_key, text_data, False),
                    (report_key, report_data, True),
                    (manifest_key, manifest_data, True),
                    (outbox_key, outbox_data, False),
                ]
            )
            if not (written[2] and written[3]):
                raise ObjectExists(f"record {record_id} was written meanwhile")
            return files, manifest
        pool = _writers()
        futures: list[Future[object]] = [
            pool.submit(self.put_original, sha256, original),
            pool.submit(store.put, text_key, text_data),
            pool.submit(store.put, report_key, report_data, create_only=True),
            pool.submit(store.put, manifest_key, manifest_data, create_only=True),
            pool.submit(store.put, outbox_key, outbox_data),
        ]
        for future in futures:  # every write ends before any error is raised
            future.exception()
        for future in futures:
            future.result()
        return files, manifest

    def get_text(self, record_id: str) -> tuple[str, ...]:
        data = json.loads(self.store.get(f"records/{record_id}/text.json"))
        return tuple(str(p) for p in data.get("pages", []))

    def put_validation(self, record_id: str, report: dict[str, Any]) -> Written:
        """Keep a validation report (with its evidence); every one is kept, named by time."""
        key, data = f"records/{record_id}/validations/{ULID()}.json", _json(report)
        self.store.put(key, data, create_only=True)
        return Written.of(key, data)

    def get_json(self, key: str) -> Any:
        return json.loads(self.store.get(key))

    # -- claims ----------------------------------------------------------------------------

    @staticmethod
    def _claim_prefix(issuer_code: str, result_code: str) -> str:
        h = claim_hash(issuer_code, result_code)
        return f"claims/{h[:2]}/{h}/"

    def find_claim(self, issuer_code: str, result_code: str) -> Claim | None:
        """The current claim on a result code: the record deposited under it last."""
        keys = sorted(self.store.list(self._claim_prefix(issuer_code, result_code)))
        for key in reversed(keys):
            try:
                return Claim(**json.loads(self.store.get(key)))
            except ObjectNotFound:
                continue
        return None

    def write_claim(self, claim: Claim, *, generation: int = 1) -> Written:
        """Make the record visible (create-only): ObjectExists when another deposit took
        this generation of the result code first."""
        prefix = self._claim_prefix(claim.issuer_code, claim.result_code)
        key, data = f"{prefix}{generation:04d}.json", claim.to_bytes()
        self.store.put(key, data, create_only=True)
        return Written.of(key, data)

    def claim_generation(self, issuer_code: str, result_code: str) -> int:
        """How many records have been deposited under this result code."""
        return sum(1 for _ in self.store.list(self._claim_prefix(issuer_code, result_code)))

    def claim_objects(self) -> Iterator[tuple[str, bytes, Claim]]:
        """Every claim with its key and stored bytes (for fixity)."""
        for key in self.store.list("claims/"):
            try:
                data = self.store.get(key)
            except ObjectNotFound:
                continue
            yield key, data, Claim(**json.loads(data))

    def claims(self) -> Iterator[Claim]:
        for key in self.store.list("claims/"):
            try:
                yield Claim(**json.loads(self.store.get(key)))
            except ObjectNotFound:
                continue

    def record_ids(self) -> Iterator[str]:
        for claim in self.claims():
            yield claim.record_id

    def claim_holding(self, issuer_code: str, result_code: str, sha256: str) -> Claim | None:
        """The claim of this result code (any generation, superseded ones too) whose record
        holds these bytes, if any."""
        for key in sorted(self.store.list(self._claim_prefix(issuer_code, result_code))):
            try:
                claim = Claim(**json.loads(self.store.get(key)))
            except ObjectNotFound:
                continue
            if claim.sha256 == sha256:
                return claim
        return None

    def is_claimed(self, record_id: str, issuer_code: str, result_code: str) -> bool:
        prefix = self._claim_prefix(issuer_code, result_code)
        for key in self.store.list(prefix):
            try:
                if json.loads(self.store.get(key)).get("record_id") == record_id:
                    return True
            except ObjectNotFound:
                continue
        return False

    # -- content claims --------------------------------------------------------------------

    @staticmethod
    def _content_prefix(sha256: str) -> str:
        return f"content/{sha256[:2]}/{sha256}/"

    def content_claim(self, sha256: str) -> ContentClaim | None:
        """The current (highest) content claim on these bytes, or None."""
        for key in sorted(self.store.list(self._content_prefix(sha256)), reverse=True):
            try:
                generation = int(key.rsplit("/", 1)[-1].removesuffix(".json"))
                return ContentClaim.from_bytes(self.store.get(key), generation)
            except (ObjectNotFound, ValueError, KeyError):
                continue
        return None

    def write_content_claim(self, claim: ContentClaim) -> None:
        """Create-only: ObjectExists when another deposit took this generation first."""
        key = f"{self._content_prefix(claim.sha256)}{claim.generation:04d}.json"
        self.store.put(key, claim.to_bytes(), create_only=True)

    # Archives from before content claims may hold one signed file under several records;
    # `kho reindex` finds them and marks each such record here, so that disposing of one of
    # them never deletes the file the others still hold.
    @staticmethod
    def _shared_prefix(sha256: str) -> str:
        return f"content-shared/{sha256[:2]}/{sha256}/"

    def mark_shared(self, sha256: str, record_id: str) -> None:
        self.store.put(f"{self._shared_prefix(sha256)}{record_id}.json", _json({"at": None}))

    def sharing(self, sha256: str) -> set[str]:
        """The records marked as holding these bytes together (empty for most)."""
        prefix = self._shared_prefix(sha256)
        return {key[len(prefix) :].removesuffix(".json") for key in self.store.list(prefix)}

    # -- outbox ----------------------------------------------------------------------------

    @staticmethod
    def _outbox_object(record_id: str, at: datetime) -> tuple[str, bytes]:
        return f"outbox/{record_id}.json", _json({"record_id": record_id, "at": at})

    def add_outbox(self, record_id: str, at: datetime) -> None:
        self.store.put(*self._outbox_object(record_id, at))

    def remove_outbox(self, record_id: str) -> None:
        """The entry goes once the record is indexed. Its removal need not be durable: an
        entry back after a crash only indexes the record again (an upsert)."""
        key = f"outbox/{record_id}.json"
        if isinstance(self.store, BatchingStore):
            self.store.discard(key)
        else:
            self.store.delete(key)

    def outbox(self) -> Iterator[tuple[str, datetime]]:
        for key in self.store.list("outbox/"):
            try:
                data = json.loads(self.store.get(key))
                yield str(data["record_id"]), datetime.fromisoformat(str(data["at"]))
            except (ObjectNotFound, KeyError, ValueError):
                continue

    @staticmethod
    def abandoned(at: datetime, now: datetime, *, after: timedelta = timedelta(hours=1)) -> bool:
        """An outbox entry with no claim is a deposit that never completed once it is old."""
        return now - at.astimezone(UTC) > after
