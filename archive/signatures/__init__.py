"""Signature validation for signed PDF results: ETSI EN 319 102-1 indications per
signature and per document, built on pyHanko, with a cache of certificate path results.

    trust = TrustConfig.from_paths(settings.trust_roots, settings.trust_intermediates,
                                   settings.crls, online=settings.revocation_online)
    report = validate_pdf(pdf_bytes, trust, moment=deposited_at)
    report.summary()   # the record's `signature` field
    report.to_json()   # the full report; report.evidence() the DER validation data

The names are loaded on first use (PEP 562): the manifest needs `Indication` without
paying for pyHanko's import (over a second) in every process that reads records. Nothing
here changes a library at import: the composition root calls `install()` once.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the names as mypy and editors see them; loaded by __getattr__
    from .bounded import (
        ValidationLimit,
        ValidationLimits,
        validate_bounded,
    )
    from .cache import (
        CacheStats,
        PathValidationCache,
    )
    from .errors import (
        EncryptedPdf,
        SignatureError,
        TrustConfigError,
        UnreadablePdf,
        ValidationPolicyError,
    )
    from .paths import (
        PathOutcome,
        default_cache,
    )
    from .policy import (
        CryptoConstraint,
        ValidationPolicy,
    )
    from .status import (
        Coverage,
        DocumentReport,
        Evidence,
        Indication,
        SignatureReport,
        SignerInfo,
        SubIndication,
    )
    from .trust import (
        TrustConfig,
    )
    from .validate import (
        quiet_library_logs,
        validate_pdf,
    )

_WHERE = {
    "ValidationLimit": "bounded",
    "ValidationLimits": "bounded",
    "validate_bounded": "bounded",
    "CacheStats": "cache",
    "PathValidationCache": "cache",
    "EncryptedPdf": "errors",
    "SignatureError": "errors",
    "TrustConfigError": "errors",
    "UnreadablePdf": "errors",
    "ValidationPolicyError": "errors",
    "PathOutcome": "paths",
    "default_cache": "paths",
    "CryptoConstraint": "policy",
    "ValidationPolicy": "policy",
    "Coverage": "status",
    "DocumentReport": "status",
    "Evidence": "status",
    "Indication": "status",
    "SignatureReport": "status",
    "SignerInfo": "status",
    "SubIndication": "status",
    "TrustConfig": "trust",
    "quiet_library_logs": "validate",
    "validate_pdf": "validate",
}

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
    "ValidationLimit",
    "ValidationLimits",
    "ValidationPolicy",
    "ValidationPolicyError",
    "default_cache",
    "install",
    "quiet_library_logs",
    "validate_bounded",
    "validate_pdf",
]


def install() -> frozenset[str]:
    """Prepare the process for validating signatures, once (kho/wiring.py and `kho verify`
    call it): the speed-ups over pyHanko and asn1crypto (speedups.py; returns those
    installed) and the libraries' loggers kept off the console (quiet_library_logs)."""
    from .speedups import install as install_speedups
    from .validate import quiet_library_logs as quiet

    quiet()
    return install_speedups()


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])
