"""Depositing a signed result: a short pipeline of named steps, each a call into the
module that owns its concept; nothing here knows HTTP or the CLI.

1. metadata: validated, the issuer in the registry, not issued later than today
   (archive/record.py);
2. the caller may deposit for that issuer (access.py);
3. the file: within the size limit, not empty, hashed once (original.py);
4. its identity: the same result again is `existing`, other bytes under its result code a
   conflict unless they supersede it, the same bytes under another one refused
   (content_claims.py; what `supersedes` names, lifecycle.py);
5. a PDF by its content (original.py), validly structured and signed: an unsigned file is
   refused before any extraction work (verify.py);
6. its text, extracted in a bounded worker process (the Extractor) while step 5 validates
   here, once the bytes show a signature dictionary;
7. the package: original, text, report and the first manifest with its warnings
   (archive/deposit_warnings.py) and retention (retention/schedule.py), and an outbox
   entry;
8. the claims that make the record visible (content_claims.py): it is now durable;
9. the audit event, the supersession, and indexing from what the deposit holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from ulid import ULID

from kho.archive.deposit_warnings import DepositWarning, deposit_warnings
from kho.archive.digitized import DigitizationInfo
from kho.archive.errors import InvalidMetadata
from kho.archive.manifest import (
    ExtractionInfo,
    FileInfo,
    Manifest,
    Retention,
    ValidationEntry,
)
from kho.archive.record import DepositMetadata, check_deposit, parse_metadata
from kho.archive.signatures.document import count_signature_dictionaries
from kho.archive.signatures.status import DocumentReport
from kho.errors import KhoError
from kho.indexer.errors import IndexUnavailable
from kho.indexer.extract import Extraction
from kho.metrics import DEPOSITS
from kho.pools import ForkSafePool
from kho.services.access import Access
from kho.services.audit import AuditService
from kho.services.base import Backends
from kho.services.content_claims import Claimed, ContentClaims, Identity
from kho.services.errors import Conflict, DuplicateContent, RecordNotFound
from kho.services.indexing import IndexingService
from kho.services.lifecycle import LifecycleService
from kho.services.original import Original
from kho.services.retention import RetentionService
from kho.services.verify import VerifyService, summary_of
from kho.services.views import view_on

__all__ = ["CONFLICTS", "DepositOutcome", "DepositService", "refusal_kind"]


@dataclass(frozen=True)
class DepositOutcome:
    outcome: Literal["created", "existing"]
    record: dict[str, Any]
    indexed: bool
    warnings: tuple[DepositWarning, ...] = ()


@dataclass(frozen=True)
class _Deposit:
    """A deposit under way, past its checks: what the steps that write need."""

    record_id: str
    meta: DepositMetadata
    original: Original
    media_type: str
    report: DocumentReport
    extraction: Extraction
    now: datetime
    access: Access
    digitization: DigitizationInfo | None


# The threads that wait on text extraction while a deposit validates.
_extractions = ForkSafePool("kho-extract")


# The problem types of a refused deposit that conflicts with what the archive holds.
CONFLICTS = frozenset({Conflict.problem_type, DuplicateContent.problem_type})


def refusal_kind(exc: KhoError) -> Literal["conflict", "invalid", "failed"]:
    """How a deposit that raised `exc` ended, in the words of `kho ingest` and the metrics:
    a conflict with the archive, an invalid input, or Kho's own failure."""
    if isinstance(exc, Conflict):
        return "conflict"
    return "failed" if exc.failure else "invalid"


class DepositService:
    def __init__(
        self,
        backends: Backends,
        audit: AuditService,
        indexing: IndexingService,
        verify: VerifyService,
        lifecycle: LifecycleService,
        agencies: frozenset[str] | None = None,
        *,
        retention: RetentionService | None = None,
    ) -> None:
        self.b = backends
        self.retention = retention
        self.audit = audit
        self.indexing = indexing
        self.verify = verify
        self.lifecycle = lifecycle
        self.agencies = agencies
        self.content = ContentClaims(backends)

    def check_metadata(self, raw: object) -> DepositMetadata:
        """Deposit metadata validated, the issuer in the registry, not issued after today
        (archive/record.py)."""
        return check_deposit(parse_metadata(raw), today=self.b.today(), agencies=self.agencies)

    def deposit(
        self,
        data: bytes,
        filename: str | None,
        metadata: object,
        access: Access,
        *,
        digitization: DigitizationInfo | None = None,
    ) -> DepositOutcome:
        """Deposit one signed result (the pipeline below); counted by outcome in metrics.

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
        digitization: DigitizationInfo | None,
    ) -> DepositOutcome:
        """The steps, in order: each refuses before any later (costlier) one runs."""
        meta = metadata if isinstance(metadata, DepositMetadata) else self.check_metadata(metadata)
        access.require_depositing_for(meta.issuer_code)
        settings = self.b.settings
        original = Original.read(
            data, filename, max_bytes=settings.max_upload_bytes, max_mb=settings.max_upload_mb
        )
        identity = self.content.identify(meta, original.sha256, digitization)
        if identity.existing is not None:
            return self._existing(identity.existing, access)
        superseded = self._superseded_target(meta, access)
        self.content.check(original.sha256, meta)
        media_type = original.media_type()
        now = self.b.now()
        report, extraction = self._validate_and_extract(original.data, media_type)
        deposit = _Deposit(
            str(ULID()), meta, original, media_type, report, extraction, now, access, digitization
        )
        files, manifest = self._write_package(deposit)
        claimed = self._make_visible(deposit, identity)
        if claimed.claim_file is None:  # the same contents were deposited meanwhile
            assert claimed.held_by is not None
            return self._existing(claimed.held_by, access)
        files.update([claimed.claim_file])
        self._audit_created(deposit, files)
        if superseded is not None:
            self.lifecycle.mark_superseded(superseded, by=deposit.record_id, access=access)
        indexed = self.indexing.index(manifest, extraction.page_texts)
        if indexed:
            self.b.packages.remove_outbox(deposit.record_id)
        return DepositOutcome("created", self._view(manifest), indexed, manifest.warnings)

    def _validate_and_extract(
        self, data: bytes, media_type: str
    ) -> tuple[DocumentReport, Extraction]:
        """The signatures validated (UnsignedDocument if there are none) and the text
        extracted, at once: extraction runs in a bounded worker process
        (indexer/extractors/sandbox.py, so a decompression bomb is refused, not served)
        while validation runs here, on the other core. Only a file whose bytes hold a
        signature dictionary is extracted before its validation ends; any other is
        validated first, so an unsigned file is refused before any extraction work."""
        if not count_signature_dictionaries(data):
            report = self.verify.validate_signed(data)
            return report, self.b.extractor.extract(data, media_type=media_type)
        extracting = _extractions().submit(self.b.extractor.extract, data, media_type=media_type)
        try:
            report = self.verify.validate_signed(data)
        except BaseException:
            extracting.cancel()
            raise
        return report, extracting.result()

    # -- the steps that write --------------------------------------------------------------

    def _write_package(self, d: _Deposit) -> tuple[dict[str, str], Manifest]:
        """The original, its text, its validation report and the first manifest, in the
        package, and the record in the outbox (indexed later if the index is down). Each
        written file's hash goes into the audit event (`kho fixity` checks them)."""
        packages = self.b.packages
        report = self.verify.document(d.report, d.original.data, sha256=d.original.sha256)
        # One group: the files' fsyncs together on the local folder, overlapping requests on
        # MinIO; all durable before the claim (next step) makes them visible.
        written, manifest = packages.put_new_record(
            sha256=d.original.sha256,
            original=d.original.data,
            record_id=d.record_id,
            page_texts=d.extraction.page_texts,
            report=report,
            manifest_for=lambda report_key: self._manifest(d, report_key=report_key),
            outbox_at=d.now,
        )
        if self.retention is not None:
            # WORM: the original under object lock until its retain_until, before the
            # record becomes visible.
            self.retention.lock_original(manifest)
        return dict(written), manifest

    def _manifest(self, d: _Deposit, *, report_key: str) -> Manifest:
        """The record's first manifest: the stated facts, the file, its text and signatures,
        its retention, who deposited it, and what looked wrong."""
        summary = summary_of(d.report)
        extraction = d.extraction
        retention = self.b.schedule.decide(d.meta.result_type, d.meta.issued_on)
        manifest = Manifest.first(
            record_id=d.record_id,
            metadata=d.meta,
            file=FileInfo(
                sha256=d.original.sha256,
                size=d.original.size,
                media_type=d.media_type,
                filename=d.original.filename,
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
                validated_at=d.now,
                indication=summary.indication,
                subindication=summary.subindication,
                report_key=report_key,
            ),
            retention=Retention(
                rule=retention.rule,
                period_years=retention.period_years,
                retain_until=retention.retain_until,
            ),
            deposited_at=d.now,
            deposited_by=d.access.actor,
            warnings=deposit_warnings(
                d.meta,
                extraction.page_texts,
                pages_needing_ocr=extraction.pages_needing_ocr,
                pages=extraction.pages,
            ),
            digitization=d.digitization,
        )
        if self.retention is not None:
            # The schedule's full rules, and the legal holds (subject, saved query) that
            # already cover a result like this one.
            manifest = manifest.model_copy(
                update={"retention": self.retention.retention_for(manifest)}
            )
        return manifest

    def _make_visible(self, d: _Deposit, identity: Identity) -> Claimed:
        """The claims that make the record visible (content_claims.py); its outbox entry
        goes again if the deposit stops here."""
        try:
            claimed = self.content.claim(
                d.meta, d.original.sha256, d.record_id, identity, d.digitization
            )
        except KhoError:
            self.b.packages.remove_outbox(d.record_id)
            raise
        if claimed.claim_file is None:
            self.b.packages.remove_outbox(d.record_id)
        return claimed

    def _audit_created(self, d: _Deposit, files: dict[str, str]) -> None:
        self.audit.record(
            "deposit",
            d.access,
            outcome="created",
            record_ids=[d.record_id],
            subject_ids=[s.id for s in d.meta.subjects],
            detail={"result_code": d.meta.result_code, "sha256": d.original.sha256, "files": files},
        )

    def _view(self, manifest: Manifest) -> dict[str, Any]:
        return view_on(
            manifest, self.b.settings.zone, self.b.today(), self.b.settings.reuse_signature
        )

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
