"""Depositing a signed result: a short pipeline of named steps.

read (bounded) → check metadata and who may deposit it → hash → idempotency and content
identity → sniff type → validate signatures (an unsigned file is refused before any
extraction work) → extract text → warnings → store original,
text, report → write manifest → outbox → content claim → claim (the record is now durable
and visible) → audit → index. Each step is a call into the module that owns it; nothing
here knows HTTP or the CLI.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Literal

from ulid import ULID

from kho.archive.deposit_warnings import DepositWarning, subjects_missing_from_text
from kho.archive.digitized import DigitizationInfo
from kho.archive.errors import InvalidMetadata, ObjectExists
from kho.archive.manifest import (
    ExtractionInfo,
    FileInfo,
    Manifest,
    Retention,
    ValidationEntry,
)
from kho.archive.package import Claim
from kho.archive.record import DepositMetadata, parse_metadata
from kho.errors import KhoError
from kho.indexer.errors import IndexUnavailable
from kho.indexer.extract import sniff_media_type
from kho.metrics import DEPOSITS
from kho.services.audit import AuditService
from kho.services.base import Access, Backends
from kho.services.content_claims import ContentClaims
from kho.services.errors import (
    AccessDenied,
    Conflict,
    DuplicateContent,
    PayloadTooLarge,
    RecordNotFound,
    UnknownAgency,
    UnsignedDocument,
    UnsupportedMediaType,
)
from kho.services.indexing import IndexingService
from kho.services.lifecycle import LifecycleService
from kho.services.verify import VerifyService, summary_of
from kho.services.views import view_on

__all__ = ["CONFLICTS", "DepositOutcome", "DepositService", "refusal_kind"]


@dataclass(frozen=True)
class DepositOutcome:
    outcome: Literal["created", "existing"]
    record: dict[str, Any]
    indexed: bool
    warnings: tuple[DepositWarning, ...] = ()


# The problem types of a refused deposit that conflicts with what the archive holds.
CONFLICTS = frozenset({Conflict.problem_type, DuplicateContent.problem_type})


def refusal_kind(exc: KhoError) -> Literal["conflict", "invalid", "failed"]:
    """How a deposit that raised `exc` ended, in the words of `kho ingest` and the metrics:
    a conflict with the archive, an invalid input, or Kho's own failure."""
    if isinstance(exc, Conflict):
        return "conflict"
    return "failed" if exc.failure else "invalid"


def _safe_filename(name: str | None) -> str:
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = "".join(c for c in name if c.isprintable())[:200]
    return name or "result.pdf"


class DepositService:
    def __init__(
        self,
        backends: Backends,
        audit: AuditService,
        indexing: IndexingService,
        verify: VerifyService,
        lifecycle: LifecycleService,
        agencies: frozenset[str] | None = None,
    ) -> None:
        self.b = backends
        self.audit = audit
        self.indexing = indexing
        self.verify = verify
        self.lifecycle = lifecycle
        self.agencies = agencies
        self.content = ContentClaims(backends)

    def check_metadata(self, raw: object) -> DepositMetadata:
        metadata = parse_metadata(raw)
        if self.agencies is not None and metadata.issuer_code not in self.agencies:
            raise UnknownAgency(
                f"issuer_code {metadata.issuer_code} is not in the agency registry",
                field="issuer_code",
            )
        if metadata.issued_on > self.b.today():
            raise InvalidMetadata(
                f"issued_on {metadata.issued_on} is in the future",
                errors=[{"field": "issued_on", "message": "in the future"}],
            )
        return metadata

    def deposit(
        self,
        data: bytes,
        filename: str | None,
        metadata: object,
        access: Access,
        *,
        digitization: DigitizationInfo | None = None,
    ) -> DepositOutcome:
        """Deposit one signed result (the pipeline above); counted by outcome in metrics.

        `digitization` marks a copy Kho signed itself from scans (services/digitize.py):
        the record's origin is `digitized`, and its identity is the scans' SHA-256s.
        """
        try:
            outcome = self._deposit(data, filename, metadata, access, digitization)
        except KhoError as exc:
            DEPOSITS.labels(outcome=refusal_kind(exc)).inc()
            raise
        DEPOSITS.labels(outcome=outcome.outcome).inc()
        return outcome

    def _deposit(
        self,
        data: bytes,
        filename: str | None,
        metadata: object,
        access: Access,
        digitization: DigitizationInfo | None = None,
    ) -> DepositOutcome:
        meta = metadata if isinstance(metadata, DepositMetadata) else self.check_metadata(metadata)
        if not access.may_act_for(meta.issuer_code):
            allowed = sorted(access.acts_for or {access.actor.agency or "?"})
            raise AccessDenied(
                f"this API key deposits only for {', '.join(allowed)}, not for issuer_code "
                f"{meta.issuer_code} (a key may be made --on-behalf-of other agencies)",
                field="issuer_code",
            )
        if len(data) > self.b.settings.max_upload_bytes:
            raise PayloadTooLarge(
                f"the file is {len(data)} bytes; the limit is {self.b.settings.max_upload_mb} MB"
            )
        if not data:
            raise UnsupportedMediaType("the file is empty")
        sha256 = hashlib.sha256(data).hexdigest()

        current = self.b.packages.find_claim(meta.issuer_code, meta.result_code)
        if current is not None:
            if self._same_content(current, sha256, digitization):
                return self._existing(current.record_id, access)
            if meta.supersedes != current.record_id:
                raise Conflict(
                    f"{meta.issuer_code} already deposited result {meta.result_code} with "
                    f"different content (record {current.record_id}); to replace it, "
                    f"deposit with supersedes={current.record_id}",
                    record_id=current.record_id,
                )
        superseded = self._superseded_target(meta, access)
        self.content.check(sha256, meta)

        media_type = sniff_media_type(data[:1024])
        if media_type is None:
            raise UnsupportedMediaType("the file is not a PDF (judged by its content)")
        now = self.b.now()
        report = self.verify.validate(data)
        if not report.signed:
            raise UnsignedDocument(
                "the PDF carries no digital signature; Kho archives signed results only"
            )
        # Only a signed file is worth extracting; extraction is bounded in a worker process
        # (indexer/extractors/sandbox.py), so a decompression bomb is refused, not served.
        extraction = self.b.extractor.extract(data, media_type=media_type)

        record_id = str(ULID())
        retention = self.b.schedule.decide(meta.result_type, meta.issued_on)
        files = dict(  # each written file's hash goes into the audit event (kho fixity)
            [
                self.b.packages.put_original(sha256, data),
                self.b.packages.put_text(record_id, extraction.page_texts),
                report_file := self.b.packages.put_validation(
                    record_id, self.verify.document(report, data)
                ),
            ]
        )
        summary = summary_of(report)
        manifest = Manifest.first(
            record_id=record_id,
            metadata=meta,
            file=FileInfo(
                sha256=sha256,
                size=len(data),
                media_type=media_type,
                filename=_safe_filename(filename),
                pages=extraction.pages,
            ),
            extraction=ExtractionInfo(
                text_sha256=extraction.text_sha256,
                chars=len(extraction.text),
                language=extraction.language,
                ocr_used=extraction.ocr_used,
                pages_needing_ocr=extraction.pages_needing_ocr,
                extractor=extraction.extractor,
            ),
            signature=summary,
            validation=ValidationEntry(
                validated_at=now,
                indication=summary.indication,
                subindication=summary.subindication,
                report_key=report_file.key,
            ),
            retention=Retention(
                rule=retention.rule,
                period_years=retention.period_years,
                retain_until=retention.retain_until,
            ),
            deposited_at=now,
            deposited_by=access.actor,
            warnings=[
                *meta.warnings(),
                *subjects_missing_from_text(
                    [(s.id, s.name) for s in meta.subjects],
                    extraction.page_texts,
                    pages_needing_ocr=extraction.pages_needing_ocr,
                    pages=extraction.pages,
                ),
            ],
            digitization=digitization,
        )
        files.update([self.b.packages.write_manifest(manifest)])
        self.b.packages.add_outbox(record_id, now)
        generation = 1
        if current is not None:
            generation = self.b.packages.claim_generation(meta.issuer_code, meta.result_code) + 1
        try:
            taken = self.content.take(sha256, meta, record_id)
        except KhoError:
            self.b.packages.remove_outbox(record_id)
            raise
        try:
            claim = self.b.packages.write_claim(
                Claim(meta.issuer_code, meta.result_code, record_id, sha256),
                generation=generation,
            )
        except ObjectExists:
            # Another deposit of the same result code won the race.
            self.b.packages.remove_outbox(record_id)
            winner = self.b.packages.find_claim(meta.issuer_code, meta.result_code)
            if winner is not None and self._same_content(winner, sha256, digitization):
                return self._existing(winner.record_id, access)
            self.content.release(taken)
            raise Conflict(
                f"{meta.issuer_code} result {meta.result_code} was deposited meanwhile "
                "with different content",
                record_id=winner.record_id if winner else None,
            ) from None

        subject_ids = [s.id for s in meta.subjects]
        self.audit.record(
            "deposit",
            access,
            outcome="created",
            record_ids=[record_id],
            subject_ids=subject_ids,
            detail={
                "result_code": meta.result_code,
                "sha256": sha256,
                "files": {**files, claim.key: claim.sha256},
            },
        )
        if superseded is not None:
            self.lifecycle.mark_superseded(superseded, by=record_id, access=access)
        indexed = self.indexing.index_record(record_id)
        if indexed:
            self.b.packages.remove_outbox(record_id)
        return DepositOutcome("created", self._view(manifest), indexed, manifest.warnings)

    def _view(self, manifest: Manifest) -> dict[str, Any]:
        return view_on(
            manifest, self.b.settings.zone, self.b.today(), self.b.settings.reuse_signature
        )

    def _same_content(
        self, claim: Claim, sha256: str, digitization: DigitizationInfo | None
    ) -> bool:
        """The same result again: the same bytes, or for a digitized copy the same scans."""
        if claim.sha256 == sha256:
            return True
        if digitization is None:
            return False
        held = self.b.packages.latest_manifest(claim.record_id).digitization
        return held is not None and held.scan_sha256 == digitization.scan_sha256

    def _superseded_target(self, meta: DepositMetadata, access: Access) -> str | None:
        """The record `supersedes` names, if the caller may act for its issuer: the same
        rule as the /supersede endpoint (AccessDenied otherwise)."""
        if meta.supersedes is None:
            return None
        try:
            self.lifecycle.check_supersedable(meta.supersedes, access)
        except RecordNotFound:
            raise InvalidMetadata(
                f"supersedes: no record {meta.supersedes}",
                errors=[{"field": "supersedes", "message": "no such record"}],
            ) from None
        return meta.supersedes

    def existing(self, record_id: str, access: Access) -> DepositOutcome:
        """The outcome `existing` for a record held already (audited like a deposit)."""
        return self._existing(record_id, access)

    def _existing(self, record_id: str, access: Access) -> DepositOutcome:
        manifest = self.b.packages.latest_manifest(record_id)
        try:
            indexed = self.b.index.get(record_id) is not None
        except IndexUnavailable:
            indexed = False
        if not indexed:
            indexed = self.indexing.index_record(record_id)
        self.audit.record(
            "deposit",
            access,
            outcome="existing",
            record_ids=[record_id],
            subject_ids=[s.id for s in manifest.subjects],
        )
        return DepositOutcome("existing", self._view(manifest), indexed, manifest.warnings)
