"""Signature verification as a service: of an uploaded PDF, at deposit, and of stored records
again later (after a trust-root change, say), keeping every validation in the package."""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography import x509

from kho.archive.errors import ObjectExists, ObjectNotFound
from kho.archive.manifest import Manifest, SignatureSummary, ValidationEntry
from kho.archive.signatures import (
    DocumentReport,
    TrustConfig,
    TrustConfigError,
    ValidationLimits,
    ValidationPolicy,
    ValidationPolicyError,
    validate_bounded,
    validate_pdf,
)
from kho.errors import KhoError, UnreadableDocument
from kho.services.access import Access
from kho.services.audit import AuditService
from kho.services.base import Backends
from kho.services.errors import Conflict, RecordNotFound, UnsignedDocument
from kho.services.indexing import IndexingService
from kho.settings import Settings, SettingsError

__all__ = [
    "Revalidation",
    "TrustSettingsError",
    "VerifyService",
    "check_pdf",
    "policy_from_settings",
    "report_document",
    "summary_of",
    "trust_from_settings",
]

_RECORD_ID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")  # a ULID

# Which setting a TrustConfigError is about, by the start of its message.
_SETTING_OF = {
    "trust root": "KHO_TRUST_ROOTS",
    "intermediate certificate": "KHO_TRUST_INTERMEDIATES",
    "CRL": "KHO_CRLS",
}


class TrustSettingsError(SettingsError):
    """A trust root, intermediate or CRL file named in the settings is missing or is not a
    certificate or CRL; the message names the variable and the file (CLI exit 78)."""


def trust_from_settings(settings: Settings) -> TrustConfig:
    """The trust configuration of `KHO_TRUST_ROOTS`, `KHO_TRUST_INTERMEDIATES`, `KHO_CRLS`
    and `KHO_REVOCATION_ONLINE`; TrustSettingsError when a file is unusable."""
    try:
        return TrustConfig.from_paths(
            roots=settings.trust_roots,
            intermediates=settings.trust_intermediates,
            crls=settings.crls,
            online=settings.revocation_online,
        )
    except TrustConfigError as exc:
        message = str(exc)
        variable = next((v for k, v in _SETTING_OF.items() if message.startswith(k)), None)
        raise TrustSettingsError(f"{variable}: {message}" if variable else message) from None


def policy_from_settings(settings: Settings) -> ValidationPolicy:
    """The validation policy of `KHO_VALIDATION_POLICY`, or the built-in one;
    TrustSettingsError (exit 78) naming the variable when the file is unusable."""
    if settings.validation_policy is None:
        return ValidationPolicy.default()
    try:
        return ValidationPolicy.from_file(settings.validation_policy)
    except ValidationPolicyError as exc:
        raise TrustSettingsError(f"KHO_VALIDATION_POLICY: {exc}") from None


def check_pdf(
    data: bytes,
    trust: TrustConfig,
    *,
    moment: datetime | None = None,
    now: datetime | None = None,
    policy: ValidationPolicy | None = None,
) -> DocumentReport:
    """Validate every signature of a PDF under `policy` (the built-in one by default);
    an UnreadableDocument (SignatureError: 422, CLI exit 4) for input that is not a
    readable PDF or needs a password."""
    return validate_pdf(data, trust, moment=moment, now=now, policy=policy)


def report_document(
    report: DocumentReport,
    trust: TrustConfig,
    *,
    data: bytes | None = None,
    sha256: str | None = None,
) -> dict[str, Any]:
    """The validation report as Kho keeps and shows it (package, API, `kho verify`): the
    indications per signature and for the document, what was validated (its `sha256`,
    hashed here unless the caller has it), the trust roots it was judged against, and the
    evidence (base64 DER certificates, CRLs, OCSP)."""
    body = report.to_json()
    if data is not None:
        digest = sha256 or hashlib.sha256(data).hexdigest()
        body["document"] = {"sha256": digest, "size": len(data)}
    body["trust"] = {
        "fingerprint": trust.fingerprint,
        "roots": [
            {"subject": _subject(der), "sha256": hashlib.sha256(der).hexdigest()}
            for der in trust.roots
        ],
        "intermediates": len(trust.intermediates),
        "crls": len(trust.crls),
        "revocation_online": trust.online,
    }
    body["evidence"] = report.evidence().to_json()
    return body


def _subject(der: bytes) -> str:
    """A certificate's subject as RFC 4514, like the signers' in the report."""
    try:
        return x509.load_der_x509_certificate(der).subject.rfc4514_string()
    except ValueError:  # cryptography is stricter than asn1crypto, which loaded it
        return str(TrustConfig(roots=(der,)).root_certificates[0].subject.human_friendly)


def summary_of(report: DocumentReport) -> SignatureSummary:
    return SignatureSummary.model_validate(report.summary())


@dataclass(frozen=True)
class Revalidation:
    """The outcome of re-validating one record: the new indication beside the previous
    one, or the problem that stopped it (`report` None)."""

    record_id: str
    indication: str | None
    subindication: str | None
    previous_indication: str | None
    validated_at: datetime | None
    moment: datetime | None
    report: dict[str, Any] | None = None
    problem: dict[str, Any] | None = None


class VerifyService:
    def __init__(self, backends: Backends, audit: AuditService, indexing: IndexingService):
        self.b = backends
        self.audit = audit
        self.indexing = indexing
        self._trust: TrustConfig | None = None
        self._policy: ValidationPolicy | None = None
        self._lock = threading.Lock()

    def trust(self) -> TrustConfig:
        """The trust configuration of the settings, loaded once; TrustSettingsError."""
        with self._lock:
            if self._trust is None:
                self._trust = trust_from_settings(self.b.settings)
            return self._trust

    def policy(self) -> ValidationPolicy:
        """The validation policy of the settings, loaded once; TrustSettingsError."""
        with self._lock:
            if self._policy is None:
                self._policy = policy_from_settings(self.b.settings)
            return self._policy

    def validate(self, data: bytes, *, moment: datetime | None = None) -> DocumentReport:
        """Validate every signature now (by the services' clock), or as of `moment` (past
        validation), in a bounded worker process (archive/signatures/bounded.py):
        UnreadableDocument for a file that is not a readable PDF, or that needs more than
        KHO_VALIDATION_TIMEOUT_S or KHO_VALIDATION_MEMORY_MB to validate."""
        settings = self.b.settings
        limits = ValidationLimits(
            timeout_s=settings.validation_timeout_s,
            memory_bytes=settings.validation_memory_mb * 2**20,
            workers=settings.extract_workers,
        )
        return validate_bounded(
            data, self.trust(), limits, moment=moment, now=self.b.now(), policy=self.policy()
        )

    def document(
        self, report: DocumentReport, data: bytes | None = None, *, sha256: str | None = None
    ) -> dict[str, Any]:
        """`report` as kept in the package and shown to callers (`report_document`)."""
        return report_document(report, self.trust(), data=data, sha256=sha256)

    def validate_signed(self, data: bytes) -> DocumentReport:
        """Validate a file about to be deposited, now; UnsignedDocument if it carries no
        signature (Kho archives signed results only), UnreadableDocument if not a PDF.

        Validation parses the PDF in one worker process while text extraction parses it
        again in another (indexer/extractors/sandbox.py): pyHanko needs the document and
        its parsed structure in one place to check each signature over its byte range and
        to compare revisions, and a parsed document cannot cross between processes."""
        report = self.validate(data)
        if not report.signed:
            raise UnsignedDocument(
                "the PDF carries no digital signature; Kho archives signed results only"
            )
        return report

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
        """The record's latest validation report, with which record and file it is about
        and the list of every validation kept. Audited; the caller checks readability."""
        manifest = self._manifest(record_id)
        if not manifest.validations:
            raise RecordNotFound(f"record {record_id} has no validation report")
        report = dict(self.b.packages.get_json(manifest.validations[-1].report_key))
        self.audit.record(
            "verification.read",
            access,
            record_ids=[record_id],
            subject_ids=[s.id for s in manifest.subjects],
        )
        return self._with_record(manifest, report)

    def revalidate(self, record_id: str, access: Access) -> dict[str, Any]:
        """Validate a stored record again now, judged as of its deposit (AdES past
        validation: the deposit time in the audit trail is proof the signature existed);
        the new report is kept beside the earlier ones. Returns it as `latest_report`."""
        outcome = self._revalidate(record_id, access)
        assert outcome.report is not None
        return outcome.report

    def revalidate_many(
        self,
        record_ids: Iterable[str] | None,
        access: Access,
        progress: Callable[[int, int | None], None] | None = None,
    ) -> Iterator[Revalidation]:
        """Re-validate the given records (None: every record), one outcome each in order;
        a record that cannot be re-validated gives an outcome with its `problem` and the
        others go on. A wrong trust setting stops everything (TrustSettingsError)."""
        ids = sorted(set(self.b.packages.record_ids())) if record_ids is None else list(record_ids)
        self.trust()  # fail before the first record, not on each
        self.policy()
        for done, record_id in enumerate(ids, 1):
            try:
                yield self._revalidate(record_id, access)
            except KhoError as exc:
                yield Revalidation(record_id, None, None, None, None, None, problem=exc.problem())
            if progress is not None:
                progress(done, len(ids))

    def revalidate_all(
        self, access: Access, progress: Callable[[int, int | None], None] | None = None
    ) -> dict[str, int]:
        """Re-validate every record; returns counts per indication ("error" for records
        that could not be re-validated)."""
        counts: dict[str, int] = {}
        for outcome in self.revalidate_many(None, access, progress):
            key = outcome.indication or ("error" if outcome.problem else "unsigned")
            counts[key] = counts.get(key, 0) + 1
        return counts

    # -- helpers ----------------------------------------------------------------------------

    def _manifest(self, record_id: str) -> Manifest:
        if not _RECORD_ID.fullmatch(record_id):
            raise RecordNotFound(f"no record {record_id[:40]!r}")
        try:
            return self.b.packages.latest_manifest(record_id)
        except ObjectNotFound:
            raise RecordNotFound(f"no record {record_id[:40]}") from None

    def _with_record(self, manifest: Manifest, report: dict[str, Any]) -> dict[str, Any]:
        return {
            "record": {
                "record_id": manifest.record_id,
                "issuer_code": manifest.issuer_code,
                "result_code": manifest.result_code,
                "result_type": manifest.result_type,
                "filename": manifest.file.filename,
                "sha256": manifest.file.sha256,
                "size": manifest.file.size,
                "deposited_at": manifest.provenance.deposited_at.astimezone(
                    self.b.settings.zone
                ).isoformat(),
            },
            **report,
            "validations": [v.model_dump(mode="json") for v in manifest.validations],
        }

    def _revalidate(self, record_id: str, access: Access) -> Revalidation:
        manifest = self._manifest(record_id)
        try:
            data = b"".join(self.b.packages.stream_original(manifest.file.sha256))
        except ObjectNotFound:
            raise RecordNotFound(f"the original of record {record_id} is no longer held") from None
        # The original and the deposit time never change, so one validation serves every
        # attempt below; only the manifest write can race with other changes.
        moment = manifest.provenance.deposited_at
        report = self.validate(data, moment=moment)
        summary = summary_of(report)
        document = self.document(report, data)
        report_file = self.b.packages.put_validation(record_id, document)
        entry = ValidationEntry(
            validated_at=report.validated_at,
            moment=moment,
            indication=summary.indication,
            subindication=summary.subindication,
            report_key=report_file.key,
        )
        for _attempt in range(20):
            updated = manifest.next(
                at=self.b.now(),
                by=access.actor,
                change="revalidation",
                signature=summary.model_dump(),
                validations=[*(v.model_dump() for v in manifest.validations), entry.model_dump()],
            )
            try:
                manifest_file = self.b.packages.write_manifest(updated)
                break
            except ObjectExists:
                manifest = self._manifest(record_id)
        else:
            raise Conflict(f"record {record_id} is being changed by others; try again")
        previous = manifest.validations[-1].indication if manifest.validations else None
        self.audit.record(
            "revalidate",
            access,
            outcome=str(entry.indication or "unsigned"),
            record_ids=[record_id],
            subject_ids=[s.id for s in manifest.subjects],
            detail={"files": dict([report_file, manifest_file])},
        )
        # The index shows the new indication now, or through the outbox once it is back.
        self.b.packages.add_outbox(record_id, self.b.now())
        if self.indexing.index_record(record_id):
            self.b.packages.remove_outbox(record_id)
        return Revalidation(
            record_id=record_id,
            indication=entry.indication,
            subindication=entry.subindication,
            previous_indication=previous,
            validated_at=entry.validated_at,
            moment=moment,
            report=self._with_record(updated, document),
        )
