"""The versioned JSON manifest of an archival package: what Kho knows about one signed result.

A manifest is immutable; every change (a new validation, a revocation, a legal hold) is a
new version written beside the old ones, so the history of a record is its manifests. The
record's status is not stored: it is computed from the dates and events whenever it is read
(archive/status.py).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from kho.archive.deposit_warnings import DepositWarning
from kho.archive.digitized import DigitizationInfo
from kho.archive.model import Origin, RecordFacts
from kho.archive.record import DepositMetadata
from kho.archive.signatures.status import Indication

__all__ = [
    "SCHEMA",
    "Actor",
    "EventType",
    "ExtractionInfo",
    "FileInfo",
    "Manifest",
    "Origin",
    "Provenance",
    "Retention",
    "SignatureSummary",
    "StatusEvent",
    "Tombstone",
    "ValidationEntry",
]

SCHEMA: Final = "kho.manifest/1"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FileInfo(_Frozen):
    sha256: str
    size: int
    media_type: str
    filename: str
    pages: int


class ExtractionInfo(_Frozen):
    text_sha256: str
    chars: int
    language: str | None = None
    ocr_used: bool = False
    pages_needing_ocr: tuple[int, ...] = ()
    extractor: str


class SignatureSummary(_Frozen):
    """CONTRACT.md's `signature`: the worst indication, signer and time of the last signature."""

    indication: Indication | None = None
    subindication: str | None = None
    signer: str | None = None
    signed_at: datetime | None = None


class ValidationEntry(_Frozen):
    """One signature validation; every one is kept, the report itself in the package."""

    validated_at: datetime
    moment: datetime | None = None
    indication: Indication | None = None
    subindication: str | None = None
    report_key: str


class Retention(_Frozen):
    rule: str
    period_years: int | None = None  # None: permanent
    retain_until: date | None = None  # None: permanent (or its trigger has not happened)
    holds: tuple[str, ...] = ()
    # Written only when they say something, so older manifests read and write as before.
    action: Literal["destroy", "transfer", "review"] = Field(
        "destroy", exclude_if=lambda value: value == "destroy"
    )
    schedule_version: str | None = Field(None, exclude_if=lambda value: value is None)


class Actor(_Frozen):
    """Who did something: an agency's API key, a person, or the system itself."""

    agency: str | None = None
    key_id: str | None = None
    user: str | None = None

    def label(self) -> str:
        return self.user or self.key_id or self.agency or "system"


class Tombstone(_Frozen):
    """What remains of a disposed record: what it was, when and by whose decision it went."""

    batch_id: str
    action: Literal["destroy", "transfer", "review"]
    disposed_at: datetime
    proposed_by: Actor
    approved_by: Actor
    sha256: str
    rule: str
    retain_until: date | None = None
    removed: tuple[str, ...] = ()
    transfer_package: str | None = None


class EventType(StrEnum):
    revoked = "revoked"
    superseded = "superseded"
    disposed = "disposed"


class StatusEvent(_Frozen):
    type: EventType
    at: datetime
    by: Actor
    reason: str | None = None
    superseded_by: str | None = None


class Provenance(_Frozen):
    deposited_at: datetime
    deposited_by: Actor
    source_system: str | None = None


class Manifest(RecordFacts):
    """One version of a record's package description. Its record facts (archive/model.py)
    come first; then what the package holds and what happened to the record."""

    schema_: Literal["kho.manifest/1"] = Field(default=SCHEMA, alias="schema")
    version: int = Field(ge=1)
    recorded_at: datetime
    recorded_by: Actor
    change: str

    digitization: DigitizationInfo | None = None  # only for origin "digitized"

    file: FileInfo
    extraction: ExtractionInfo
    signature: SignatureSummary
    validations: tuple[ValidationEntry, ...] = ()
    retention: Retention
    events: tuple[StatusEvent, ...] = ()
    tombstone: Tombstone | None = Field(  # once disposed
        None, exclude_if=lambda value: value is None
    )
    provenance: Provenance
    # {code, message} each; an older manifest's plain strings are read with a guessed code.
    warnings: tuple[Annotated[DepositWarning, BeforeValidator(DepositWarning.coerce)], ...] = ()

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @classmethod
    def first(
        cls,
        *,
        record_id: str,
        metadata: DepositMetadata,
        file: FileInfo,
        extraction: ExtractionInfo,
        signature: SignatureSummary,
        validation: ValidationEntry | None,
        retention: Retention,
        deposited_at: datetime,
        deposited_by: Actor,
        warnings: list[DepositWarning],
        digitization: DigitizationInfo | None = None,
    ) -> Manifest:
        # The record facts an agency states are taken as stated (DepositMetadata has
        # validated them); valid_from defaults to the issue day.
        stated = {
            name: getattr(metadata, name)
            for name in RecordFacts.model_fields
            if name in DepositMetadata.model_fields
        }
        return cls(
            version=1,
            recorded_at=deposited_at,
            recorded_by=deposited_by,
            change="deposit",
            record_id=record_id,
            **{**stated, "valid_from": metadata.effective_valid_from},
            origin=Origin.digitized if digitization is not None else Origin.born_digital,
            digitization=digitization,
            file=file,
            extraction=extraction,
            signature=signature,
            validations=(validation,) if validation else (),
            retention=retention,
            provenance=Provenance(
                deposited_at=deposited_at,
                deposited_by=deposited_by,
                source_system=metadata.source_system,
            ),
            warnings=tuple(warnings),
        )

    def next(self, *, at: datetime, by: Actor, change: str, **updates: Any) -> Manifest:
        """The next version, with `updates` applied (validated like any manifest)."""
        data = self.model_dump(by_alias=True)
        data.update(updates)
        data.update(version=self.version + 1, recorded_at=at, recorded_by=by, change=change)
        return Manifest.model_validate(data)

    def event(self, kind: EventType) -> StatusEvent | None:
        """The first event of this kind (a record is revoked or superseded once)."""
        return next((e for e in self.events if e.type is kind), None)

    def to_bytes(self) -> bytes:
        return json.dumps(
            self.model_dump(mode="json", by_alias=True), ensure_ascii=False, sort_keys=True
        ).encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> Manifest:
        return cls.model_validate_json(data)
