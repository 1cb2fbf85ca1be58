"""Signature verification as a service: of an uploaded PDF, at deposit, and of stored records
again later (after a trust-root change, say), keeping every validation in the package."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from kho.archive.errors import ObjectExists
from kho.archive.manifest import SignatureSummary, ValidationEntry
from kho.archive.signatures import DocumentReport, SignatureError, TrustConfig, validate_pdf
from kho.indexer.errors import UnreadableDocument
from kho.services.audit import AuditService
from kho.services.base import Access, Backends
from kho.services.errors import RecordNotFound
from kho.services.indexing import IndexingService

__all__ = ["VerifyService", "summary_of"]


def summary_of(report: DocumentReport) -> SignatureSummary:
    return SignatureSummary.model_validate(report.summary())


class VerifyService:
    def __init__(self, backends: Backends, audit: AuditService, indexing: IndexingService):
        self.b = backends
        self.audit = audit
        self.indexing = indexing
        self._trust: TrustConfig | None = None
        self._lock = threading.Lock()

    def trust(self) -> TrustConfig:
        with self._lock:
            if self._trust is None:
                s = self.b.settings
                self._trust = TrustConfig.from_paths(
                    roots=s.trust_roots,
                    intermediates=s.trust_intermediates,
                    crls=s.crls,
                    online=s.revocation_online,
                )
            return self._trust

    def validate(self, data: bytes, *, moment: datetime | None = None) -> DocumentReport:
        """Validate every signature; UnreadableDocument for a file that is not a readable PDF."""
        try:
            return validate_pdf(data, self.trust(), moment=moment)
        except SignatureError as exc:
            raise UnreadableDocument(str(exc)) from None

    def verify_upload(self, data: bytes, access: Access) -> DocumentReport:
        """Validate a PDF handed in by an auditor; nothing is stored but the audit event."""
        try:
            report = self.validate(data)
        except UnreadableDocument:
            self.audit.record("verify", access, outcome="unreadable")
            raise
        self.audit.record(
            "verify", access, outcome=str(report.summary()["indication"] or "unsigned")
        )
        return report

    def latest_report(self, record_id: str, access: Access) -> dict[str, Any]:
        manifest = self.b.packages.latest_manifest(record_id)
        if not manifest.validations:
            raise RecordNotFound(f"record {record_id} has no validation report")
        entry = manifest.validations[-1]
        report = self.b.packages.get_json(entry.report_key)
        self.audit.record(
            "verification.read",
            access,
            record_ids=[record_id],
            subject_ids=[s.id for s in manifest.subjects],
        )
        return dict(report)

    def revalidate(self, record_id: str, access: Access) -> dict[str, Any]:
        """Validate a stored record again now, judged as of its deposit (AdES past
        validation: the deposit time in the audit trail is proof the signature existed)."""
        for _attempt in range(20):
            manifest = self.b.packages.latest_manifest(record_id)
            data = b"".join(self.b.packages.stream_original(manifest.file.sha256))
            moment = manifest.provenance.deposited_at
            report = self.validate(data, moment=moment)
            now = self.b.now()
            report_key = self.b.packages.put_validation(record_id, report.to_json())
            entry = ValidationEntry(
                validated_at=now,
                moment=moment,
                indication=report.summary()["indication"],
                subindication=report.summary()["subindication"],
                report_key=report_key,
            )
            updated = manifest.next(
                at=now,
                by=access.actor,
                change="revalidation",
                signature=summary_of(report).model_dump(),
                validations=[*[v.model_dump() for v in manifest.validations], entry.model_dump()],
            )
            try:
                self.b.packages.write_manifest(updated)
            except ObjectExists:
                continue
            self.audit.record(
                "revalidate",
                access,
                outcome=str(entry.indication),
                record_ids=[record_id],
                subject_ids=[s.id for s in manifest.subjects],
            )
            self.indexing.index_record(record_id)
            return dict(report.to_json())
        raise ObjectExists(f"record {record_id} is being changed by others; try again")

    def revalidate_all(
        self, access: Access, progress: Callable[[int, int | None], None] | None = None
    ) -> dict[str, int]:
        """Re-validate every record; returns counts per indication."""
        record_ids = sorted(set(self.b.packages.record_ids()))
        counts: dict[str, int] = {}
        for i, record_id in enumerate(record_ids, 1):
            report = self.revalidate(record_id, access)
            indication = str(report.get("indication"))
            counts[indication] = counts.get(indication, 0) + 1
            if progress:
                progress(i, len(record_ids))
        return counts
