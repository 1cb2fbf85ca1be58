"""The record as Kho shows it (CONTRACT.md "Record JSON") and as the index keeps it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from kho.archive.manifest import EventType, Manifest
from kho.archive.status import Validity, status_on, validity_of
from kho.indexer.index import IndexDocument

__all__ = ["index_document", "record_view", "with_status"]


def record_view(manifest: Manifest) -> dict[str, Any]:
    """The JSON view of a record, without `status` (computed per request by with_status)."""
    revoked = manifest.event(EventType.revoked)
    superseded = manifest.event(EventType.superseded)
    disposed = manifest.event(EventType.disposed)
    return {
        "record_id": manifest.record_id,
        "issuer_code": manifest.issuer_code,
        "result_code": manifest.result_code,
        "dossier_code": manifest.dossier_code,
        "procedure_code": manifest.procedure_code,
        "procedure_name": manifest.procedure_name,
        "result_type": manifest.result_type,
        "subjects": [s.model_dump(mode="json") for s in manifest.subjects],
        "issued_on": manifest.issued_on.isoformat(),
        "valid_from": manifest.valid_from.isoformat(),
        "valid_until": manifest.valid_until.isoformat() if manifest.valid_until else None,
        "validity_scope": manifest.validity_scope,
        "sha256": manifest.file.sha256,
        "size": manifest.file.size,
        "media_type": manifest.file.media_type,
        "filename": manifest.file.filename,
        "pages": manifest.file.pages,
        "origin": manifest.origin.value,
        "signature": manifest.signature.model_dump(mode="json"),
        "retention": {
            "rule": manifest.retention.rule,
            "retain_until": (
                manifest.retention.retain_until.isoformat()
                if manifest.retention.retain_until
                else None
            ),
            "holds": list(manifest.retention.holds),
        },
        "supersedes": manifest.supersedes,
        "superseded_by": superseded.superseded_by if superseded else None,
        "superseded_at": superseded.at.isoformat() if superseded else None,
        "revoked_at": revoked.at.isoformat() if revoked else None,
        "revocation_reason": revoked.reason if revoked else None,
        "disposed_at": disposed.at.isoformat() if disposed else None,
        "deposited_at": manifest.provenance.deposited_at.isoformat(),
        "source_system": manifest.provenance.source_system,
        "extraction": {
            "language": manifest.extraction.language,
            "ocr_used": manifest.extraction.ocr_used,
            "pages_needing_ocr": list(manifest.extraction.pages_needing_ocr),
        },
        "warnings": list(manifest.warnings),
        "version": manifest.version,
    }


def with_status(view: Mapping[str, Any], validity: Validity, day: date) -> dict[str, Any]:
    """The view with `status` on `day`, judged from the validity facts, never stored."""
    return {**view, "status": status_on(validity, day).value}


def index_document(manifest: Manifest, text: str, zone: ZoneInfo) -> IndexDocument:
    return IndexDocument(
        record_id=manifest.record_id,
        version=manifest.version,
        issuer_code=manifest.issuer_code,
        result_code=manifest.result_code,
        dossier_code=manifest.dossier_code,
        procedure_code=manifest.procedure_code,
        procedure_name=manifest.procedure_name,
        result_type=manifest.result_type,
        subject_ids=tuple(s.id for s in manifest.subjects),
        subject_names=tuple(s.name for s in manifest.subjects),
        issued_on=manifest.issued_on,
        validity=validity_of(manifest, zone),
        indication=manifest.signature.indication,
        deposited_at=manifest.provenance.deposited_at,
        text=text,
        record=record_view(manifest),
    )
