"""Signature validation for signed PDF results: ETSI EN 319 102-1 indications per
signature and per document, built on pyHanko, with a cache of certificate path results.

    trust = TrustConfig.from_paths(settings.trust_roots, settings.trust_intermediates,
                                   settings.crls, online=settings.revocation_online)
    report = validate_pdf(pdf_bytes, trust, moment=deposited_at)
    report.summary()   # the record's `signature` field
    report.to_json()   # the full report; report.evidence() the DER validation data
"""

from .cache import CacheStats, PathValidationCache
from .errors import (
    EncryptedPdf,
    SignatureError,
    TrustConfigError,
    UnreadablePdf,
    ValidationPolicyError,
)
from .paths import PathOutcome, default_cache
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
from .trust import TrustConfig
from .validate import quiet_library_logs, validate_pdf

__all__ = [
    "CacheStats",
    "Coverage",
    "CryptoConstraint",
    "DocumentReport",
    "EncryptedPdf",
    "Evidence",
    "Indication",
    "PathOutcome",
    "PathValidationCache",
    "SignatureError",
    "SignatureReport",
    "SignerInfo",
    "SubIndication",
    "TrustConfig",
    "TrustConfigError",
    "UnreadablePdf",
    "ValidationPolicy",
    "ValidationPolicyError",
    "default_cache",
    "quiet_library_logs",
    "validate_pdf",
]
