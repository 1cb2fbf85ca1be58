"""What a signature validation result is: ETSI EN 319 102-1 indications, per signature and
per document, as frozen values with their JSON form (timestamps RFC 3339 with an offset)."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

__all__ = [
    "Coverage",
    "DocumentReport",
    "Evidence",
    "Indication",
    "SignatureReport",
    "SignerInfo",
    "SubIndication",
]


class Indication(StrEnum):
    """The main indication of ETSI EN 319 102-1 (§ 5.1.3), spelled as the standard does."""

    TOTAL_PASSED = "TOTAL-PASSED"
    INDETERMINATE = "INDETERMINATE"
    TOTAL_FAILED = "TOTAL-FAILED"

    @property
    def severity(self) -> int:
        """0 passed, 1 indeterminate, 2 failed: the order in which verdicts are worse."""
        return _SEVERITY[self]


_SEVERITY = {Indication.TOTAL_PASSED: 0, Indication.INDETERMINATE: 1, Indication.TOTAL_FAILED: 2}


class SubIndication(StrEnum):
    """ETSI EN 319 102-1 sub-indications (table 5); some belong to both TOTAL-FAILED and
    INDETERMINATE, so a report always carries the indication alongside."""

    FORMAT_FAILURE = "FORMAT_FAILURE"
    HASH_FAILURE = "HASH_FAILURE"
    SIG_CRYPTO_FAILURE = "SIG_CRYPTO_FAILURE"
    REVOKED = "REVOKED"
    SIG_CONSTRAINTS_FAILURE = "SIG_CONSTRAINTS_FAILURE"
    CHAIN_CONSTRAINTS_FAILURE = "CHAIN_CONSTRAINTS_FAILURE"
    CERTIFICATE_CHAIN_GENERAL_FAILURE = "CERTIFICATE_CHAIN_GENERAL_FAILURE"
    CRYPTO_CONSTRAINTS_FAILURE = "CRYPTO_CONSTRAINTS_FAILURE"
    EXPIRED = "EXPIRED"
    NOT_YET_VALID = "NOT_YET_VALID"
    POLICY_PROCESSING_ERROR = "POLICY_PROCESSING_ERROR"
    SIGNATURE_POLICY_NOT_AVAILABLE = "SIGNATURE_POLICY_NOT_AVAILABLE"
    TIMESTAMP_ORDER_FAILURE = "TIMESTAMP_ORDER_FAILURE"
    NO_SIGNING_CERTIFICATE_FOUND = "NO_SIGNING_CERTIFICATE_FOUND"
    NO_CERTIFICATE_CHAIN_FOUND = "NO_CERTIFICATE_CHAIN_FOUND"
    REVOKED_NO_POE = "REVOKED_NO_POE"
    REVOKED_CA_NO_POE = "REVOKED_CA_NO_POE"
    OUT_OF_BOUNDS_NO_POE = "OUT_OF_BOUNDS_NO_POE"
    OUT_OF_BOUNDS_NOT_REVOKED = "OUT_OF_BOUNDS_NOT_REVOKED"
    REVOCATION_OUT_OF_BOUNDS_NO_POE = "REVOCATION_OUT_OF_BOUNDS_NO_POE"
    CRYPTO_CONSTRAINTS_FAILURE_NO_POE = "CRYPTO_CONSTRAINTS_FAILURE_NO_POE"
    NO_POE = "NO_POE"
    TRY_LATER = "TRY_LATER"
    SIGNED_DATA_NOT_FOUND = "SIGNED_DATA_NOT_FOUND"
    GENERIC = "GENERIC"


class Coverage(StrEnum):
    """How much of the file a signature covers."""

    ENTIRE_FILE = "ENTIRE_FILE"  # nothing was appended after signing
    ENTIRE_REVISION = "ENTIRE_REVISION"  # later incremental updates exist
    PARTIAL = "PARTIAL"  # not even its own revision: never acceptable


def rfc3339(moment: datetime | None) -> str | None:
    """An aware datetime as RFC 3339 in UTC with an explicit offset; None stays None."""
    if moment is None:
        return None
    if moment.tzinfo is None:  # pyHanko and asn1crypto give aware times; be safe anyway
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


@dataclass(frozen=True)
class SignerInfo:
    """Who signed: the signer certificate's subject and issuer (RFC 4514 strings), its
    serial number (upper-case hex) and common name."""

    subject: str
    issuer: str
    serial: str
    common_name: str

    def to_json(self) -> dict[str, str]:
        return {
            "subject": self.subject,
            "issuer": self.issuer,
            "serial": self.serial,
            "common_name": self.common_name,
        }


def _b64(items: tuple[bytes, ...]) -> list[str]:
    return [base64.b64encode(item).decode("ascii") for item in items]


@dataclass(frozen=True)
class Evidence:
    """The validation data a verdict rests on, DER-encoded: certificates of the paths
    (signer and timestamp authority), CRLs and OCSP responses. The archive keeps it in
    the package next to the report."""

    certificates: tuple[bytes, ...] = ()
    crls: tuple[bytes, ...] = ()
    ocsp_responses: tuple[bytes, ...] = ()

    def merge(self, *others: Evidence) -> Evidence:
        """This evidence and `others` together, without duplicates, in first-seen order."""

        def union(parts: list[tuple[bytes, ...]]) -> tuple[bytes, ...]:
            return tuple(dict.fromkeys(item for part in parts for item in part))

        every = (self, *others)
        return Evidence(
            certificates=union([e.certificates for e in every]),
            crls=union([e.crls for e in every]),
            ocsp_responses=union([e.ocsp_responses for e in every]),
        )

    def to_json(self) -> dict[str, list[str]]:
        """Base64 of each DER item."""
        return {
            "certificates": _b64(self.certificates),
            "crls": _b64(self.crls),
            "ocsp_responses": _b64(self.ocsp_responses),
        }


@dataclass(frozen=True)
class SignatureReport:
    """The validation result of one signature.

    `intact`: the signed bytes match the digest in the signature; `valid`: the signature
    value checks out against the signer's public key; `trusted`: the signer's certificate
    chains to a trust root and was neither expired nor revoked at `validation_time`.
    `modified_after_signing`: incremental updates other than validation data (DSS,
    document timestamps) were appended after this signature; `modification_level` says
    which kind (pyHanko's difference analysis: NONE, LTA_UPDATES, FORM_FILLING,
    ANNOTATIONS, OTHER), and a disallowed one makes the indication TOTAL-FAILED.
    """

    field_name: str
    signer: SignerInfo | None
    claimed_signing_time: datetime | None
    timestamp_time: datetime | None
    indication: Indication
    subindication: SubIndication | None
    coverage: Coverage
    modified_after_signing: bool
    modification_level: str | None
    trusted: bool
    intact: bool
    valid: bool
    message_vi: str
    message_en: str
    timestamp_trusted: bool | None = None
    validation_time: datetime | None = None
    evidence: Evidence = field(default_factory=Evidence, repr=False)
    constraint: dict[str, Any] | None = None
    """The validation policy's cryptographic constraint that failed, if one did (kind,
    algorithm, key size, the last day it was accepted)."""

    @property
    def signed_at(self) -> datetime | None:
        """Best known signing time: the timestamp's if there is one, else the claimed one."""
        return self.timestamp_time or self.claimed_signing_time

    def to_json(self) -> dict[str, Any]:
        return {
            "field_name": self.field_name,
            "signer": None if self.signer is None else self.signer.to_json(),
            "claimed_signing_time": rfc3339(self.claimed_signing_time),
            "timestamp_time": rfc3339(self.timestamp_time),
            "timestamp_trusted": self.timestamp_trusted,
            "indication": self.indication.value,
            "subindication": None if self.subindication is None else self.subindication.value,
            "coverage": self.coverage.value,
            "modified_after_signing": self.modified_after_signing,
            "modification_level": self.modification_level,
            "intact": self.intact,
            "valid": self.valid,
            "trusted": self.trusted,
            "validation_time": rfc3339(self.validation_time),
            "constraint": self.constraint,
            "message_vi": self.message_vi,
            "message_en": self.message_en,
        }


@dataclass(frozen=True)
class DocumentReport:
    """The validation result of a PDF: one report per signature in document order, and
    the document's verdict, derived in one place (`worst`)."""

    signatures: tuple[SignatureReport, ...]
    validated_at: datetime
    validation_time_used: datetime | None = None
    """The proof-of-existence time given for past validation (`moment`), if any."""
    policy: dict[str, str] | None = None
    """Which validation policy judged the signatures (name, version, source, sha256)."""

    @property
    def signed(self) -> bool:
        """Whether the PDF holds at least one signature (the CLI's exit 3 when not)."""
        return bool(self.signatures)

    @property
    def worst(self) -> SignatureReport | None:
        """The signature that decides the verdict: the first with the worst indication
        (TOTAL-FAILED over INDETERMINATE over TOTAL-PASSED); None when unsigned."""
        worst: SignatureReport | None = None
        for report in self.signatures:
            if worst is None or report.indication.severity > worst.indication.severity:
                worst = report
        return worst

    @property
    def indication(self) -> Indication | None:
        worst = self.worst
        return None if worst is None else worst.indication

    @property
    def subindication(self) -> SubIndication | None:
        worst = self.worst
        return None if worst is None else worst.subindication

    @property
    def last(self) -> SignatureReport | None:
        """The last signature applied to the document."""
        return self.signatures[-1] if self.signatures else None

    def summary(self) -> dict[str, str | None]:
        """The record's `signature` field (CONTRACT.md): worst indication, with the signer
        (common name) and time of the last signature."""
        last = self.last
        return {
            "indication": None if self.indication is None else self.indication.value,
            "subindication": None if self.subindication is None else self.subindication.value,
            "signer": None if last is None or last.signer is None else last.signer.common_name,
            "signed_at": None if last is None else rfc3339(last.signed_at),
        }

    def evidence(self) -> Evidence:
        """The validation data of every signature, merged."""
        return Evidence().merge(*(s.evidence for s in self.signatures))

    def to_json(self) -> dict[str, Any]:
        """The JSON report (`kho verify`, the API): JSON-ready types only."""
        return {
            "signed": self.signed,
            "indication": None if self.indication is None else self.indication.value,
            "subindication": None if self.subindication is None else self.subindication.value,
            "validated_at": rfc3339(self.validated_at),
            "validation_time_used": rfc3339(self.validation_time_used),
            "policy": self.policy,
            "signatures": [s.to_json() for s in self.signatures],
        }
