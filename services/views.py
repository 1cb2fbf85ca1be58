"""The record as Kho shows it (CONTRACT.md "Record JSON") and as the index keeps it.

`status`, `reusable` and `reuse_blockers` are never stored: every view is completed for the
day it is shown by `with_standing`, from the validity facts and the signature indication.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from kho.archive.manifest import EventType, Manifest
from kho.archive.reuse import SignaturePolicy, reuse_on
from kho.archive.status import Validity, status_on, validity_of
from kho.indexer.index import Hit, IndexDocument
from kho.services.paging import Page

__all__ = [
    "CONTENT_URL",
    "hit_view",
    "index_document",
    "lookup_body",
    "record_view",
    "search_body",
    "view_on",
    "with_links",
    "with_standing",
]

CONTENT_URL = "/api/v1/records/{record_id}/content"


def _when(instant: datetime | None, zone: ZoneInfo) -> str | None:
    """RFC 3339 with the offset of KHO_TIMEZONE (+07:00), as Vietnamese users read it."""
    return instant.astimezone(zone).isoformat() if instant is not None else None


def record_view(manifest: Manifest, zone: ZoneInfo) -> dict[str, Any]:
    """The JSON view of a record, without `status` and the reuse verdict (computed per
    request by with_standing)."""
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
        **({"digitization": manifest.digitization.view()} if manifest.digitization else {}),
        "signature": {
            **manifest.signature.model_dump(mode="json"),
            "signed_at": _when(manifest.signature.signed_at, zone),
        },
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
        "superseded_at": _when(superseded.at, zone) if superseded else None,
        "revoked_at": _when(revoked.at, zone) if revoked else None,
        "revocation_reason": revoked.reason if revoked else None,
        "disposed_at": _when(disposed.at, zone) if disposed else None,
        "deposited_at": _when(manifest.provenance.deposited_at, zone),
        "source_system": manifest.provenance.source_system,
        "extraction": {
            "language": manifest.extraction.language,
            "ocr_used": manifest.extraction.ocr_used,
            "pages_needing_ocr": list(manifest.extraction.pages_needing_ocr),
        },
        "warnings": [w.to_json() for w in manifest.warnings],
        "version": manifest.version,
    }


def with_standing(
    view: Mapping[str, Any],
    validity: Validity,
    indication: str | None,
    day: date,
    policy: SignaturePolicy,
) -> dict[str, Any]:
    """The view with its `status`, `reusable` and `reuse_blockers` on `day`, judged from
    the validity facts and the signature indication (archive/reuse.py), never stored."""
    return {
        **view,
        "status": status_on(validity, day).value,
        **reuse_on(validity, indication, day, policy).to_json(),
    }


def view_on(
    manifest: Manifest, zone: ZoneInfo, day: date, policy: SignaturePolicy
) -> dict[str, Any]:
    """The record as shown on `day`: its view, its status and whether it may be reused."""
    return with_standing(
        record_view(manifest, zone),
        validity_of(manifest, zone),
        manifest.signature.indication,
        day,
        policy,
    )


def hit_view(hit: Hit, day: date, policy: SignaturePolicy) -> dict[str, Any]:
    """An index hit shown on `day`, judged like view_on from the indexed facts."""
    return with_standing(hit.record, hit.validity, hit.indication, day, policy)


def with_links(view: Mapping[str, Any]) -> dict[str, Any]:
    """A record's view with the URL of its signed bytes (the lookup's "content link")."""
    return {**view, "content_url": CONTENT_URL.format(record_id=view["record_id"])}


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
        record=record_view(manifest, zone),
    )


def lookup_body(page: Page) -> dict[str, Any]:
    """The reuse lookup's answer as the API and `kho lookup` print it."""
    return {
        "items": [with_links(item) for item in page.items],
        "total": page.total,
        "page": page.page,
        "page_size": page.page_size,
    }


def search_body(page: Page) -> dict[str, Any]:
    """A search's answer as the API and `kho search` print it."""
    return {
        "items": [{**item, "record": with_links(item["record"])} for item in page.items],
        "total": page.total,
        "page": page.page,
        "page_size": page.page_size,
        "facets": page.facets,
    }
