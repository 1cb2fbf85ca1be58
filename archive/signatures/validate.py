"""Validate every signature of a PDF and report ETSI EN 319 102-1 indications.

pyHanko supplies the building blocks: reading signatures, the byte-range digest and the
signature check, coverage and difference analysis, the algorithm policy; certificate
paths are validated by pyhanko-certvalidator through `paths.PathChecker` (cached). The
control flow is that of EN 319 102-1 validation with time and past signature validation
(§ 5.5, § 5.6.2.4): the chain is judged now; if that fails only for want of a proof of
existence (expired, revoked, stale revocation data), it is judged again as of the best
proof available: a trusted signature timestamp, a trusted later document timestamp, or
the archive's own deposit time (`moment`).

Longer than Kho's usual module on purpose: it is that control flow, one judgement per
signature read top to bottom, and split across modules its order (format, integrity,
chain now, then as of the best proof of existence, then the policy's constraints) would no
longer be readable in one place. The parts it calls are their own modules (document.py,
paths.py, timestamps.py, modifications.py, policy.py, messages.py).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509 as pyca_x509
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY
from pyhanko.sign.general import (
    CMSExtractionError,
    MultivaluedAttributeError,
    NonexistentAttributeError,
    extract_certificate_info,
    find_unique_cms_attribute,
)
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.generic_cms import validate_sig_integrity
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import SignatureCoverageLevel

from .cache import PathValidationCache
from .document import (
    EmbeddedData,
    FoundSignature,
    count_signature_dictionaries,
    document_security_store,
    find_signatures,
    open_pdf,
    revocation_attribute,
)
from .errors import EncryptedPdf, UnreadablePdf
from .formats import byte_range_data, with_der_ecdsa
from .messages import Reason, describe
from .modifications import check_modifications
from .paths import ChainData, ChainUsage, PathChecker, PathOutcome, default_cache
from .policy import CryptoConstraint, ValidationPolicy
from .status import (
    Coverage,
    DocumentReport,
    Evidence,
    Indication,
    SignatureReport,
    SignerInfo,
    SubIndication,
)
from .timestamps import (
    check_token,
    content_timestamps,
    digest_of,
    signature_timestamps,
)
from .trust import TrustConfig

__all__ = ["quiet_library_logs", "validate_pdf"]

logger = logging.getLogger(__name__)

_LIBRARY_LOGGERS = ("pyhanko", "pyhanko_certvalidator", "asn1crypto")


def quiet_library_logs(level: int = logging.CRITICAL) -> None:
    """Keep pyHanko's and certvalidator's warnings (which carry tracebacks for bad input)
    off the console, unless logging was configured for them. The CLI's `--debug` may
    set these loggers to DEBUG afterwards. Called by `kho.archive.signatures.install`."""
    for name in _LIBRARY_LOGGERS:
        library_logger = logging.getLogger(name)
        if library_logger.level == logging.NOTSET:
            library_logger.setLevel(level)


# Sub-indications that past validation can turn into a pass given an earlier proof of
# existence (EN 319 102-1 § 5.6.2.4).
_RECOVERABLE_WITH_POE = frozenset(
    {
        SubIndication.OUT_OF_BOUNDS_NO_POE,
        SubIndication.OUT_OF_BOUNDS_NOT_REVOKED,
        SubIndication.REVOKED_NO_POE,
        SubIndication.REVOKED_CA_NO_POE,
        SubIndication.TRY_LATER,
        SubIndication.CRYPTO_CONSTRAINTS_FAILURE_NO_POE,
    }
)

_DETACHED_SUBFILTERS = frozenset({"/adbe.pkcs7.detached", "/ETSI.CAdES.detached"})
# adbe.pkcs7.sha1: the CMS encapsulates the SHA-1 digest of the byte range (ISO 32000-1
# § 12.8.3.3.1; deprecated in ISO 32000-2, but still met in archives).
_SHA1_SUBFILTER = "/adbe.pkcs7.sha1"
_SUPPORTED_SUBFILTERS = _DETACHED_SUBFILTERS | {_SHA1_SUBFILTER}



@dataclass
class _Context:
    checker: PathChecker
    policy: ValidationPolicy
    now: datetime
    archive_poe: datetime | None
    dss: EmbeddedData
    # (revision covered, time) of trusted document timestamps: proofs of existence for
    # every signature made in an earlier revision.
    document_timestamps: list[tuple[int, datetime]] = field(default_factory=list)


@dataclass(frozen=True)
class _Verdict:
    indication: Indication
    subindication: SubIndication | None
    message: tuple[str, str]
    trusted: bool = False
    constraint: CryptoConstraint | None = None


@dataclass
class _Facts:
    """What is known about one signature so far; `report` adds the verdict."""

    field_name: str
    signer: SignerInfo | None = None
    claimed_signing_time: datetime | None = None
    timestamp_time: datetime | None = None
    timestamp_trusted: bool | None = None
    coverage: Coverage = Coverage.PARTIAL
    modified_after_signing: bool = False
    modification_level: str | None = None
    intact: bool = False
    valid: bool = False

    def report(
        self,
        verdict: _Verdict,
        *,
        validation_time: datetime | None = None,
        evidence: Evidence | None = None,
    ) -> SignatureReport:
        return SignatureReport(
            field_name=self.field_name,
            signer=self.signer,
            claimed_signing_time=self.claimed_signing_time,
            timestamp_time=self.timestamp_time,
            indication=verdict.indication,
            subindication=verdict.subindication,
            coverage=self.coverage,
            modified_after_signing=self.modified_after_signing,
            modification_level=self.modification_level,
            trusted=verdict.trusted,
            intact=self.intact,
            valid=self.valid,
            message_vi=verdict.message[0],
            message_en=verdict.message[1],
            timestamp_trusted=self.timestamp_trusted,
            validation_time=validation_time,
            evidence=evidence or Evidence(),
            constraint=None if verdict.constraint is None else verdict.constraint.to_json(),
        )


def _failed(what: Reason | SubIndication, detail: str = "") -> _Verdict:
    """TOTAL-FAILED for a reason (a FORMAT_FAILURE) or a sub-indication."""
    sub = what if isinstance(what, SubIndication) else SubIndication.FORMAT_FAILURE
    return _Verdict(Indication.TOTAL_FAILED, sub, describe(what, detail=detail))


def validate_pdf(
    data: bytes,
    trust: TrustConfig,
    *,
    moment: datetime | None = None,
    cache: PathValidationCache[PathOutcome] | None = None,
    now: datetime | None = None,
    policy: ValidationPolicy | None = None,
) -> DocumentReport:
    """Validate every signature in `data`.

    `moment` is a proof-of-existence time for the signatures (AdES past validation): the
    archive passes the deposit time when re-validating, so a signer certificate that
    expired (or was revoked) after deposit does not turn a result INDETERMINATE.
    `now` overrides the validation time (tests); `policy` the validation policy (the
    built-in one by default). An unsigned PDF gives a report with `signed` False;
    unreadable input raises UnreadablePdf, a password-protected PDF EncryptedPdf. Nothing
    else escapes: a broken signature is a TOTAL-FAILED report, and so is every signature
    dictionary of a file whose structure is too damaged to read.
    """
    validated_at = (now or datetime.now(UTC)).astimezone(UTC)
    if moment is not None and moment.tzinfo is None:
        raise ValueError("moment must be an aware datetime")
    policy = policy or ValidationPolicy.default()
    poe = None if moment is None else min(moment.astimezone(UTC), validated_at)
    try:
        reader = open_pdf(data)
        signatures = find_signatures(reader)
    except EncryptedPdf:
        raise
    except UnreadablePdf:
        found = count_signature_dictionaries(data)
        if not found:
            raise
        # Signed, but the structure cannot be read: no signature can be checked against
        # the document, so each fails format checking (EN 319 102-1 § 5.2.2).
        verdict = _failed(Reason.DAMAGED_DOCUMENT)
        damaged = tuple(
            _Facts(f"#{number}").report(verdict) for number in range(1, found + 1)
        )
        return DocumentReport(damaged, validated_at, poe, policy=policy.describe())
    context = _Context(
        PathChecker(trust, cache or default_cache, policy),
        policy,
        validated_at,
        poe,
        document_security_store(reader),
    )
    for signature in signatures:
        if signature.is_document_timestamp:
            assert signature.embedded is not None
            _register_document_timestamp(signature.embedded, context)
    reports = [
        _validate_signature(signature, context)
        for signature in signatures
        if not signature.is_document_timestamp
    ]
    return DocumentReport(tuple(reports), validated_at, poe, policy=policy.describe())


def _judge_chain(
    context: _Context, chain: ChainData, usage: ChainUsage, poe: datetime | None
) -> tuple[PathOutcome, datetime]:
    """The chain's outcome now or, failing that for want of proof, as of `poe`; with the
    time the verdict holds for."""
    now = context.now
    current = context.checker.check(chain, usage, now, current=True)
    if (
        current.ok
        or poe is None
        or poe >= now
        or current.subindication not in _RECOVERABLE_WITH_POE
    ):
        return current, now
    past = context.checker.check(chain, usage, poe, current=False)
    return (past, poe) if past.ok else (current, now)


def _tsa_judge(context: _Context) -> Callable[[ChainData], PathOutcome]:
    """Judges a timestamp authority's chain now, or as of the archive's proof."""

    def judge(chain: ChainData) -> PathOutcome:
        return _judge_chain(context, chain, ChainUsage.TIMESTAMP, context.archive_poe)[0]

    return judge


def _register_document_timestamp(embedded: EmbeddedPdfSignature, context: _Context) -> None:
    try:
        embedded.compute_integrity_info(diff_policy=DEFAULT_DIFF_POLICY)  # type: ignore[no-untyped-call]
        if embedded.coverage < SignatureCoverageLevel.ENTIRE_REVISION:
            return
        if embedded.summarise_integrity_info().get("docmdp_ok") is False:
            return
        check = check_token(
            embedded.signed_data,
            lambda algorithm: embedded.compute_digest(algorithm),
            _tsa_judge(context),
            extra_certs=context.dss.certs,
        )
    except Exception:  # an unusable document timestamp proves nothing
        logger.debug("ignoring unusable document timestamp", exc_info=True)
        return
    if check.trusted and check.time is not None:
        context.document_timestamps.append((embedded.signed_revision, check.time))


def _signer_info(cert: asn1_x509.Certificate) -> SignerInfo:
    return _signer_info_of(cert.dump())


@lru_cache(maxsize=1024)
def _signer_info_of(der: bytes) -> SignerInfo:
    cert = asn1_x509.Certificate.load(der)
    try:
        with warnings.catch_warnings():  # real-world certificates bend RFC 5280 often
            warnings.simplefilter("ignore")
            parsed = pyca_x509.load_der_x509_certificate(der)
            subject, issuer = parsed.subject.rfc4514_string(), parsed.issuer.rfc4514_string()
    except ValueError:  # cryptography is stricter than asn1crypto
        subject, issuer = cert.subject.human_friendly, cert.issuer.human_friendly
    common_name = cert.subject.native.get("common_name") or subject
    if isinstance(common_name, list):
        common_name = common_name[-1]
    return SignerInfo(
        subject=subject,
        issuer=issuer,
        serial=format(cert.serial_number, "X"),
        common_name=str(common_name),
    )


def _validate_signature(signature: FoundSignature, context: _Context) -> SignatureReport:
    name, embedded = signature.field_name, signature.embedded
    facts = _Facts(name)
    subfilter = signature.subfilter
    if subfilter is not None and subfilter not in _SUPPORTED_SUBFILTERS:
        return facts.report(_failed(Reason.UNSUPPORTED, detail=subfilter))
    if embedded is None:
        return facts.report(_failed(Reason.BAD_STRUCTURE))
    try:
        return _judge_signature(embedded, facts, context, subfilter)
    except SignatureValidationError as error:
        sub = SubIndication(getattr(error.ades_subindication, "standard_name", "FORMAT_FAILURE"))
        status = getattr(getattr(error.ades_subindication, "status", None), "name", "FAILED")
        indication = (
            Indication.INDETERMINATE if status == "INDETERMINATE" else Indication.TOTAL_FAILED
        )
        message = describe(sub, detail=error.failure_message)
        return facts.report(_Verdict(indication, sub, message))
    except (ValueError, PdfError):  # asn1crypto and pyHanko's errors for malformed data
        logger.debug("malformed signature %s", name, exc_info=True)
        return facts.report(_failed(Reason.BAD_STRUCTURE))
    except Exception as error:  # never a traceback for bad input
        logger.warning("signature %s could not be checked: %s", name, type(error).__name__)
        logger.debug("unexpected error", exc_info=True)
        sub = SubIndication.GENERIC
        message = describe(sub, detail=type(error).__name__)
        return facts.report(_Verdict(Indication.INDETERMINATE, sub, message))


def _judge_signature(
    embedded: EmbeddedPdfSignature,
    facts: _Facts,
    context: _Context,
    subfilter: str | None = None,
) -> SignatureReport:
    # 1. Integrity of the document around the signature: coverage and what was appended.
    changes = check_modifications(embedded, context.policy)
    facts.coverage = changes.coverage
    facts.modification_level = changes.modification_level
    facts.modified_after_signing = changes.modified_after_signing
    facts.claimed_signing_time = embedded.self_reported_timestamp

    # 2. The signer's certificate, the digest and the signature value.
    signer_info = embedded.signer_info
    try:
        cert_info = extract_certificate_info(embedded.signed_data)
    except CMSExtractionError:
        sub = SubIndication.NO_SIGNING_CERTIFICATE_FOUND
        return facts.report(_Verdict(Indication.INDETERMINATE, sub, describe(sub)))
    cert = cert_info.signer_cert
    facts.signer = _signer_info(cert)
    encapsulated = embedded.signed_data["encap_content_info"]
    econtent = encapsulated["content"]
    if subfilter == _SHA1_SUBFILTER:
        # The signed content is the SHA-1 digest of the byte range.
        content = b"" if econtent.native is None else bytes(econtent.native)
        document_digest = digest_of(byte_range_data(embedded), "sha1")
        if content != document_digest:
            return facts.report(_failed(SubIndication.HASH_FAILURE))
        digest_algorithm = signer_info["digest_algorithm"]["algorithm"].native
        actual_digest = digest_of(content, digest_algorithm) or b""
    elif econtent.native is not None:
        # A detached PDF signature signs the byte range; one that encapsulates content
        # signs that content instead (ISO 32000-1 § 12.8.3.3, EN 319 142-1 § 6.3).
        return facts.report(_failed(Reason.ENCAPSULATED_CONTENT))
    else:
        actual_digest = embedded.compute_digest()
    try:
        facts.intact, facts.valid = validate_sig_integrity(
            with_der_ecdsa(signer_info),
            cert,
            expected_content_type=encapsulated["content_type"].native,
            actual_digest=actual_digest,
        )
    except (AssertionError, TypeError):  # e.g. an RSA algorithm with a key that is not RSA
        logger.debug("signature value cannot be verified", exc_info=True)
        return facts.report(_failed(SubIndication.SIG_CRYPTO_FAILURE))
    if not facts.intact:
        return facts.report(_failed(SubIndication.HASH_FAILURE))
    if not facts.valid:
        return facts.report(_failed(SubIndication.SIG_CRYPTO_FAILURE))
    if facts.coverage is Coverage.PARTIAL:
        return facts.report(_failed(Reason.PARTIAL_COVERAGE))
    if changes.level == "FAIL":
        # A broken DocMDP lock invalidates a certification signature (ISO 32000-2
        # § 12.8.2.2); pages added or removed fail as in EU DSS's default policy.
        reason = Reason.PAGES_CHANGED if changes.problem == "page_difference" else Reason.MODIFIED
        return facts.report(_failed(reason))

    # 3. Proofs of existence: signature timestamp, later document timestamps, deposit.
    embedded_data = context.dss.plus(revocation_attribute(signer_info))
    signature_value: bytes = signer_info["signature"].native
    stamps = [
        check_token(
            token,
            lambda algorithm: digest_of(signature_value, algorithm),
            _tsa_judge(context),
            extra_certs=embedded_data.certs,
        )
        for token in signature_timestamps(signer_info)
    ]
    stamp = next((s for s in stamps if s.trusted), stamps[-1] if stamps else None)
    stamped = [
        when
        for revision, when in context.document_timestamps
        if revision > embedded.signed_revision
    ]
    if stamp is not None:
        facts.timestamp_trusted = stamp.trusted
        if stamp.intact and stamp.valid:
            facts.timestamp_time = stamp.time
        if stamp.trusted and stamp.time is not None:
            stamped.append(stamp.time)
    if stamped and min(stamped) < cert.not_valid_before:
        # A trusted timestamp older than the certificate (EN 319 102-1 § 5.5.4). The
        # archive's own deposit time is not held against a signature this way.
        sub = SubIndication.NOT_YET_VALID
        message = describe(Reason.SIGNED_BEFORE_CERTIFICATE)
        return facts.report(_Verdict(Indication.TOTAL_FAILED, sub, message))
    proofs = [*stamped, *(t for t in (context.archive_poe,) if t is not None)]
    poe = min(proofs) if proofs else None

    # 4. Algorithms, then the signer's chain, now or as of the proof of existence.
    crypto = _algorithm_problem(context.policy, signer_info, cert, context.now, poe)
    chain = ChainData(
        cert,
        others=(*cert_info.other_certs, *embedded_data.certs),
        crls=embedded_data.crls,
        ocsps=embedded_data.ocsps,
    )
    outcome, judged_at = _judge_chain(context, chain, ChainUsage.SIGNER, poe)
    evidence = outcome.evidence.merge(
        *(s.outcome.evidence for s in stamps if s.outcome is not None)
    )
    verdict = _verdict(outcome, judged_at, cert, signer_info, context, crypto, facts.coverage)
    if changes.level == "INDETERMINATE" and verdict.indication is Indication.TOTAL_PASSED:
        # The signed revision is intact, but later changes the analysis cannot explain
        # mean Kho cannot vouch for what is shown: neither passed nor proven failed
        # (EN 319 102-1 § 5.1.3), a validation constraint not met.
        sub = SubIndication.SIG_CONSTRAINTS_FAILURE
        verdict = _Verdict(Indication.INDETERMINATE, sub, describe(Reason.MODIFIED_UNEXPLAINED))
    return facts.report(verdict, validation_time=judged_at, evidence=evidence)


def _algorithm_problem(
    policy: ValidationPolicy,
    signer_info: cms.SignerInfo,
    cert: asn1_x509.Certificate,
    now: datetime,
    poe: datetime | None,
) -> CryptoConstraint | None:
    """The validation policy's verdict on the signature's digest algorithm and key."""
    return policy.check_signature(signer_info, cert.public_key, now, poe)


def _verdict(
    outcome: PathOutcome,
    judged_at: datetime,
    cert: asn1_x509.Certificate,
    signer_info: cms.SignerInfo,
    context: _Context,
    crypto: CryptoConstraint | None,
    coverage: Coverage,
) -> _Verdict:
    if crypto is not None:
        weak = crypto.subindication
        message = _with_constraint(describe(weak), crypto)
        return _Verdict(Indication.INDETERMINATE, weak, message, constraint=crypto)
    if outcome.ok:
        if judged_at < context.now:
            message = describe(Reason.PASSED_IN_PAST, date=judged_at)
        elif coverage is Coverage.ENTIRE_REVISION:
            message = describe(Reason.PASSED_WITH_UPDATES)
        else:
            message = describe(Reason.PASSED)
        return _Verdict(Indication.TOTAL_PASSED, None, message, trusted=True)
    sub = outcome.subindication
    assert sub is not None
    # A content timestamp (made before signing) later than the revocation or expiry
    # proves the signature was made with a dead certificate (EN 319 102-1 § 5.3.4).
    not_before = _content_timestamp_time(signer_info, context)
    if (
        sub is SubIndication.REVOKED_NO_POE
        and not_before is not None
        and outcome.revocation_date is not None
        and not_before >= outcome.revocation_date
    ):
        return _Verdict(
            Indication.TOTAL_FAILED,
            SubIndication.REVOKED,
            describe(SubIndication.REVOKED, date=outcome.revocation_date),
        )
    if (
        sub is SubIndication.OUT_OF_BOUNDS_NO_POE
        and not_before is not None
        and not_before >= cert.not_valid_after
    ):
        return _Verdict(
            Indication.INDETERMINATE,
            SubIndication.EXPIRED,
            describe(SubIndication.OUT_OF_BOUNDS_NO_POE, date=cert.not_valid_after),
        )
    date = outcome.revocation_date
    if sub is SubIndication.OUT_OF_BOUNDS_NO_POE:
        date = cert.not_valid_after if cert.not_valid_after < context.now else None
    return _Verdict(Indication.INDETERMINATE, sub, describe(sub, date=date))


def _with_constraint(message: tuple[str, str], crypto: CryptoConstraint) -> tuple[str, str]:
    """The sentence, followed by the constraint of the policy that failed."""
    what = crypto.algorithm + ("" if crypto.key_size is None else f" {crypto.key_size} bit")
    if crypto.acceptable_until is None:
        vi = f" ({what}: không được chính sách kiểm tra chấp nhận)"
        en = f" ({what}: not accepted by the validation policy)"
    else:
        day = crypto.acceptable_until
        vi = f" ({what}: chỉ được chấp nhận đến ngày {day:%d/%m/%Y})"
        en = f" ({what}: accepted only until {day.isoformat()})"
    return message[0] + vi, message[1] + en


def _content_timestamp_time(signer_info: cms.SignerInfo, context: _Context) -> datetime | None:
    try:
        message_digest = find_unique_cms_attribute(
            signer_info["signed_attrs"], "message_digest"
        ).native
    except (NonexistentAttributeError, MultivaluedAttributeError):
        return None
    own_algorithm = signer_info["digest_algorithm"]["algorithm"].native
    for token in content_timestamps(signer_info):
        check = check_token(
            token,
            lambda algorithm: message_digest if algorithm == own_algorithm else None,
            _tsa_judge(context),
        )
        if check.trusted:
            return check.time
    return None
