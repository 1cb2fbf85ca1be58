"""Reading records: one record's view and history, and its signed bytes (whole or a range)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from kho.archive.errors import ObjectNotFound
from kho.archive.manifest import EventType, Manifest
from kho.services.access import Access, require_purpose
from kho.services.audit import AuditService
from kho.services.base import Backends
from kho.services.errors import AccessDenied, RecordDisposed, RecordNotFound
from kho.services.views import view_on

__all__ = ["Content", "RecordService", "require_purpose"]


@dataclass(frozen=True)
class Content:
    record_id: str
    sha256: str
    size: int
    media_type: str
    filename: str
    start: int
    length: int
    chunks: Iterator[bytes]


def gone(manifest: Manifest) -> None:
    """RecordDisposed (410) for a disposed record's bytes."""
    if manifest.tombstone is not None or manifest.event(EventType.disposed) is not None:
        raise RecordDisposed(
            f"record {manifest.record_id} was disposed of under its retention schedule",
            record_id=manifest.record_id,
        )


class RecordService:
    def __init__(self, backends: Backends, audit: AuditService) -> None:
        self.b = backends
        self.audit = audit

    def manifest(self, record_id: str) -> Manifest:
        try:
            return self.b.packages.latest_manifest(record_id)
        except ObjectNotFound:
            raise RecordNotFound(f"no record {record_id}") from None

    def _visible(self, manifest: Manifest) -> None:
        # A manifest without a claim belongs to a deposit that never completed.
        if not self.b.packages.is_claimed(
            manifest.record_id, manifest.issuer_code, manifest.result_code
        ):
            raise RecordNotFound(f"no record {manifest.record_id}")

    def readable(self, record_id: str, access: Access) -> Manifest:
        """The latest manifest of a record this caller may read now: it exists, its deposit
        completed, the purpose is stated and the key's limits allow its kind of result."""
        require_purpose(access)
        manifest = self.manifest(record_id)
        self._visible(manifest)
        if not access.permits(manifest.procedure_code, manifest.result_type):
            raise AccessDenied(
                "this API key is limited to other procedures or result types than record "
                f"{record_id}'s"
            )
        return manifest

    def get(self, record_id: str, access: Access) -> dict[str, Any]:
        manifest = self.readable(record_id, access)
        self.audit.record(
            "read",
            access,
            record_ids=[record_id],
            subject_ids=[s.id for s in manifest.subjects],
        )
        return self.view(manifest)

    def view(self, manifest: Manifest) -> dict[str, Any]:
        return view_on(
            manifest, self.b.settings.zone, self.b.today(), self.b.settings.reuse_signature
        )

    def history(self, record_id: str, access: Access) -> list[dict[str, Any]]:
        self.readable(record_id, access)
        manifests = self.b.packages.manifest_history(record_id)
        self.audit.record("history", access, record_ids=[record_id])
        return [
            {
                "version": m.version,
                "recorded_at": m.recorded_at.isoformat(),
                "recorded_by": m.recorded_by.model_dump(exclude_none=True),
                "change": m.change,
            }
            for m in manifests
        ]

    def content(
        self,
        record_id: str,
        access: Access,
        *,
        start: int = 0,
        length: int | None = None,
        audit: bool = True,
        detail: dict[str, Any] | None = None,
    ) -> Content:
        """The signed bytes; the caller has checked the range against `size` first."""
        manifest = self.readable(record_id, access)
        gone(manifest)
        size = manifest.file.size
        length = size - start if length is None else length
        chunks = self.b.packages.stream_original(manifest.file.sha256, start=start, length=length)
        if audit:
            self.audit.record(
                "download",
                access,
                record_ids=[record_id],
                subject_ids=[s.id for s in manifest.subjects],
                detail={
                    # Whose result was read: the indicators count reads by other agencies.
                    "issuer_code": manifest.issuer_code,
                    **({"range": [start, start + length - 1]} if (start or length != size) else {}),
                    **(detail or {}),
                },
            )
        return Content(
            record_id=record_id,
            sha256=manifest.file.sha256,
            size=size,
            media_type=manifest.file.media_type,
            filename=manifest.file.filename,
            start=start,
            length=length,
            chunks=chunks,
        )

    def not_modified(
        self, record_id: str, access: Access, detail: dict[str, Any] | None = None
    ) -> None:
        """Audit a conditional download the client already holds (304): it was still an
        access to the subject's data."""
        manifest = self.readable(record_id, access)
        gone(manifest)
        self.audit.record(
            "download",
            access,
            outcome="not-modified",
            record_ids=[record_id],
            subject_ids=[s.id for s in manifest.subjects],
            detail=detail,
        )
