"""The record as Kho shows it (CONTRACT.md "Record JSON"), derived from its manifest.

`StoredView` is the record model's facts (archive/model.py) with what the package and the
events say, flattened for readers, times in KHO_TIMEZONE: the search index keeps exactly
this. `RecordView` adds the standing on a day (`status`, `reusable`, `reuse_blockers`),
judged whenever a record is shown (`with_standing`), never stored. The API's schema is
`RecordView` itself (api/schemas.py), so the documented shape is the shape served.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
)

from kho.archive.deposit_warnings import DepositWarning
from kho.archive.digitized import DigitizationInfo
from kho.archive.manifest import EventType, Manifest
from kho.archive.model import Indexed, RecordFacts
from kho.archive.reuse import ReuseBlocker, SignaturePolicy, reuse_on
from kho.archive.signatures.status import Indication
from kho.archive.status import Status, Validity, status_on, validity_of

__all__ = [
    "ExtractionView",
    "RecordView",
    "RetentionView",
    "SignatureView",
    "StoredView",
    "stored_view",
    "view_on",
    "with_standing",
]


def _iso(instant: datetime) -> str:
    return instant.isoformat()


# A moment as RFC 3339 with the offset of KHO_TIMEZONE (+07:00), as Vietnamese users read
# it; written by isoformat(), so an offset of zero stays +00:00.
LocalTime = Annotated[
    datetime,
    PlainSerializer(_iso, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


class _View(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SignatureView(_View):
    """The worst indication over all signatures, with the signer and time of the last."""

    indication: Indication | None = Field(
        None, description="TOTAL-PASSED | INDETERMINATE | TOTAL-FAILED (ETSI EN 319 102-1)"
    )
    subindication: str | None = None
    signer: str | None = None
    signed_at: LocalTime | None = None


class RetentionView(_View):
    rule: str = Field(description="The schedule rule applied")
    retain_until: date | None = Field(
        None, description="The last day it must be kept (null: permanent)"
    )
    holds: list[str] = Field([], description="Active legal holds")
    action: str = Field(
        "destroy",
        description="What happens when it falls due: transfer | review (absent: destroy)",
        exclude_if=lambda value: value == "destroy",
    )


class TombstoneView(_View):
    """What remains of a disposed record (CONTRACT.md "Retention")."""

    batch_id: str = Field(description="The disposal batch that removed it")
    action: str = Field(description="destroy | transfer")
    disposed_at: LocalTime
    proposed_by: str
    approved_by: str
    sha256: str = Field(description="SHA-256 of the signed bytes that were removed")
    rule: str = Field(description="The schedule rule applied")
    retain_until: date | None = None


class ExtractionView(_View):
    language: str | None = None
    ocr_used: bool = False
    pages_needing_ocr: list[int] = Field([], description="Pages without a text layer")


class StoredView(RecordFacts):
    """A record's view without its standing: what the search index keeps and returns."""

    sha256: str = Field(description="SHA-256 of the signed bytes (also their ETag)")
    size: int = Field(description="Bytes")
    media_type: str
    filename: str
    pages: int
    # There for a digitized record only (CONTRACT.md), not null on the others.
    digitization: DigitizationInfo | None = Field(
        None,
        description="For a digitized record only: its scans, OCR and signing",
        exclude_if=lambda value: value is None,
    )
    signature: SignatureView
    retention: RetentionView
    superseded_by: str | None = Field(None, description="The record that replaced it")
    superseded_at: LocalTime | None = None
    revoked_at: LocalTime | None = None
    revocation_reason: str | None = None
    disposed_at: LocalTime | None = None
    tombstone: TombstoneView | None = Field(
        None,
        description="Once disposed: what, when, by whose decision, its SHA-256",
        exclude_if=lambda value: value is None,
    )
    deposited_at: LocalTime
    source_system: str | None = Field(None, description="The system that deposited it")
    extraction: ExtractionView
    warnings: list[DepositWarning] = Field(
        [], description="What looked wrong when it was deposited (it was accepted)"
    )
    version: Annotated[int, Indexed.number] = Field(description="The manifest version shown")

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = self.model_dump(mode="json")
        return data


class RecordView(StoredView):
    """A record as shown on a day: its view and its standing then (computed, never stored)."""

    status: Status = Field(
        description="valid | expired | revoked | superseded | disposed (or not_yet_valid)"
    )
    reusable: bool = Field(
        description="May be reused instead of asking for paper: valid on the day and its "
        "signature TOTAL-PASSED (or any indication under KHO_REUSE_SIGNATURE=any)",
        examples=[True, False],
    )
    reuse_blockers: list[ReuseBlocker] = Field(
        description="Why not, when `reusable` is false (empty when it is true): every "
        "validity rule the result fails on the day, and the signature's verdict",
        examples=[[], ["signature_indeterminate"], ["expired"], ["revoked", "signature_failed"]],
    )


def _local(instant: datetime | None, zone: ZoneInfo) -> datetime | None:
    return instant.astimezone(zone) if instant is not None else None


def _tombstone(manifest: Manifest, zone: ZoneInfo) -> TombstoneView | None:
    t = manifest.tombstone
    if t is None:
        return None
    return TombstoneView(
        batch_id=t.batch_id,
        action=t.action,
        disposed_at=t.disposed_at.astimezone(zone),
        proposed_by=t.proposed_by.label(),
        approved_by=t.approved_by.label(),
        sha256=t.sha256,
        rule=t.rule,
        retain_until=t.retain_until,
    )


def stored_view(manifest: Manifest, zone: ZoneInfo) -> StoredView:
    """The view of a manifest: its record facts as they are, the rest flattened."""
    revoked = manifest.event(EventType.revoked)
    superseded = manifest.event(EventType.superseded)
    disposed = manifest.event(EventType.disposed)
    signature = manifest.signature
    return StoredView(
        **{name: getattr(manifest, name) for name in RecordFacts.model_fields},
        sha256=manifest.file.sha256,
        size=manifest.file.size,
        media_type=manifest.file.media_type,
        filename=manifest.file.filename,
        pages=manifest.file.pages,
        digitization=manifest.digitization,
        signature=SignatureView(
            indication=signature.indication,
            subindication=signature.subindication,
            signer=signature.signer,
            signed_at=_local(signature.signed_at, zone),
        ),
        retention=RetentionView(
            rule=manifest.retention.rule,
            retain_until=manifest.retention.retain_until,
            holds=list(manifest.retention.holds),
            action=manifest.retention.action,
        ),
        superseded_by=superseded.superseded_by if superseded else None,
        superseded_at=_local(superseded.at, zone) if superseded else None,
        revoked_at=_local(revoked.at, zone) if revoked else None,
        revocation_reason=revoked.reason if revoked else None,
        disposed_at=_local(disposed.at, zone) if disposed else None,
        tombstone=_tombstone(manifest, zone),
        deposited_at=_local(manifest.provenance.deposited_at, zone),
        source_system=manifest.provenance.source_system,
        extraction=ExtractionView(
            language=manifest.extraction.language,
            ocr_used=manifest.extraction.ocr_used,
            pages_needing_ocr=list(manifest.extraction.pages_needing_ocr),
        ),
        warnings=list(manifest.warnings),
        version=manifest.version,
    )


def with_standing(
    view: Mapping[str, Any],
    validity: Validity,
    indication: str | None,
    day: date,
    policy: SignaturePolicy,
) -> dict[str, Any]:
    """A stored view (as JSON) with its `status`, `reusable` and `reuse_blockers` on `day`,
    judged from the validity facts and the signature indication (archive/reuse.py)."""
    return {
        **view,
        "status": status_on(validity, day).value,
        **reuse_on(validity, indication, day, policy).to_json(),
    }


def view_on(
    manifest: Manifest, zone: ZoneInfo, day: date, policy: SignaturePolicy
) -> dict[str, Any]:
    """The record as shown on `day` (RecordView's JSON): its view and its standing."""
    return with_standing(
        stored_view(manifest, zone).to_json(),
        validity_of(manifest, zone),
        manifest.signature.indication,
        day,
        policy,
    )
