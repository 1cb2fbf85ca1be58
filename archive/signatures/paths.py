"""Certificate path validation: does a signer's (or a timestamp authority's) certificate
chain to a trust root, unexpired and unrevoked, at a given time? Run with
pyhanko-certvalidator, mapped to ETSI EN 319 102-1 sub-indications, and cached."""

from __future__ import annotations

import asyncio
import hashlib
from bisect import bisect_right
from collections.abc import Coroutine, Hashable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import cached_property
from typing import Any, TypeVar

from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import TimestampSignatureStatus
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import (
    DisallowedAlgorithmError,
    ExpiredError,
    InsufficientPOEError,
    InsufficientRevinfoError,
    InvalidCertificateError,
    NotYetValidError,
    PathError,
    PathValidationError,
    RevokedError,
    ValidationError,
)
from pyhanko_certvalidator.path import ValidationPath
from pyhanko_certvalidator.policy_decl import (
    CertRevTrustPolicy,
    RevocationCheckingPolicy,
    RevocationCheckingRule,
)

from .cache import PathValidationCache
from .policy import ValidationPolicy
from .status import Evidence, SubIndication
from .trust import TrustConfig, edges

__all__ = ["ChainData", "ChainUsage", "PathChecker", "PathOutcome", "default_cache"]

T = TypeVar("T")

# Results fetched online go stale; offline results depend only on the data in the key.
_ONLINE_BUCKET_SECONDS = 600


class ChainUsage(StrEnum):
    """What the certificate is checked for (key usages differ)."""

    SIGNER = "signer"
    TIMESTAMP = "timestamp"


_USAGE_CONSTRAINTS = {
    # DSS-like: either usage will do for an advanced signature (many agency certificates
    # carry both; requiring non-repudiation alone would refuse legitimate ones).
    ChainUsage.SIGNER: KeyUsageConstraints(
        key_usage={"non_repudiation", "digital_signature"}, match_all_key_usages=False
    ),
    ChainUsage.TIMESTAMP: TimestampSignatureStatus.default_usage_constraints(),
}


def _fingerprint(parts: Iterable[bytes]) -> bytes:
    digest = hashlib.sha256()
    for part in sorted(parts):
        digest.update(part)
    return digest.digest()


@dataclass(frozen=True, eq=False)
class ChainData:
    """A certificate to validate and what the document brings for it: other certificates
    (from the CMS container and the DSS) and revocation data (DSS, Adobe revocation-info
    attribute)."""

    leaf: asn1_x509.Certificate
    others: tuple[asn1_x509.Certificate, ...] = ()
    crls: tuple[asn1_crl.CertificateList, ...] = ()
    ocsps: tuple[asn1_ocsp.OCSPResponse, ...] = ()

    @cached_property
    def chain_fingerprint(self) -> tuple[bytes, bytes]:
        """The leaf's SHA-256 and one digest over the candidate chain certificates."""
        return self.leaf.sha256, _fingerprint(c.sha256 for c in self.others)

    @cached_property
    def revocation_fingerprint(self) -> bytes:
        return _fingerprint(
            [hashlib.sha256(c.dump()).digest() for c in self.crls]
            + [hashlib.sha256(o.dump()).digest() for o in self.ocsps]
        )

    def time_edges(self, trust: TrustConfig) -> tuple[datetime, ...]:
        """Instants at which this chain's validation result may change, beyond the trust
        config's own: validity bounds and revocation dates of these certificates, and the
        update times of the embedded revocation data."""
        found: set[datetime] = set()
        serials: set[int] = set()
        for cert in (self.leaf, *self.others):
            found.update(edges(cert.not_valid_before))
            found.update(edges(cert.not_valid_after))
            serials.add(cert.serial_number)
            for when in trust.revocation_dates(cert.serial_number):
                found.update(edges(when))
        for crl in self.crls:
            tbs = crl["tbs_cert_list"]
            found.update(edges(tbs["this_update"].native))
            found.update(edges(tbs["next_update"].native))
            for entry in tbs["revoked_certificates"]:
                if entry["user_certificate"].native in serials:
                    found.update(edges(entry["revocation_date"].native))
        for response in self.ocsps:
            for when in _ocsp_times(response):
                found.update(edges(when))
        return tuple(sorted(found))


def _ocsp_times(response: asn1_ocsp.OCSPResponse) -> list[datetime]:
    times: list[datetime] = []
    try:
        basic = response["response_bytes"]["response"].parsed
        for single in basic["tbs_response_data"]["responses"]:
            times.append(single["this_update"].native)
            if single["next_update"].native is not None:
                times.append(single["next_update"].native)
            status = single["cert_status"]
            if status.name == "revoked":
                times.append(status.chosen["revocation_time"].native)
    except (ValueError, TypeError, KeyError, AttributeError):
        pass  # an unusable response cannot change the result over time either
    return times


@dataclass(frozen=True)
class PathOutcome:
    """The result of one path validation. `subindication` None means the path validated
    (trusted at that time, with the right key usage)."""

    subindication: SubIndication | None
    detail: str = ""
    revocation_date: datetime | None = None
    revocation_reason: str | None = None
    evidence: Evidence = field(default_factory=Evidence)

    @property
    def ok(self) -> bool:
        return self.subindication is None


default_cache: PathValidationCache[PathOutcome] = PathValidationCache()
"""The process-wide cache `validate_pdf` uses unless given another."""


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from synchronous code, even when called from inside
    a running event loop (then in a worker thread with a loop of its own)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _path_evidence(path: ValidationPath | None, context: ValidationContext) -> Evidence:
    if path is None:
        return Evidence()
    certs = list(path.iter_certs(include_root=True))
    authorities = {c.subject.dump() for c in certs}
    return Evidence(
        certificates=tuple(dict.fromkeys(c.dump() for c in certs)),
        crls=tuple(dict.fromkeys(c.dump() for c in context.crls if c.issuer.dump() in authorities)),
        ocsp_responses=tuple(dict.fromkeys(o.dump() for o in context.ocsps)),
    )


def _failure(error: Exception) -> tuple[SubIndication, ValidationPath | None]:
    """pyhanko-certvalidator's error → ETSI sub-indication (and the path it concerned)."""
    path = error.original_path if isinstance(error, PathValidationError) else None
    side = isinstance(error, PathValidationError) and error.is_side_validation
    sub: SubIndication
    if side:
        # The problem is with a CRL or OCSP issuer, not with the chain itself.
        sub = SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE
    elif isinstance(error, RevokedError):
        sub = SubIndication.REVOKED_NO_POE if error.is_ee_cert else SubIndication.REVOKED_CA_NO_POE
    elif isinstance(error, ExpiredError):
        sub = SubIndication.OUT_OF_BOUNDS_NO_POE
    elif isinstance(error, NotYetValidError):
        sub = (
            SubIndication.NOT_YET_VALID if error.is_ee_cert else SubIndication.OUT_OF_BOUNDS_NO_POE
        )
    elif isinstance(error, DisallowedAlgorithmError):
        sub = (
            SubIndication.CRYPTO_CONSTRAINTS_FAILURE
            if error.banned_since is None
            else SubIndication.CRYPTO_CONSTRAINTS_FAILURE_NO_POE
        )
    elif isinstance(error, InsufficientRevinfoError):  # includes stale revocation data
        sub = SubIndication.TRY_LATER
    elif isinstance(error, InsufficientPOEError):
        sub = SubIndication.NO_POE
    elif isinstance(error, PathError):  # no path to any trust root
        sub = SubIndication.NO_CERTIFICATE_CHAIN_FOUND
    elif isinstance(error, InvalidCertificateError):  # key usage, basic constraints, ...
        sub = SubIndication.CHAIN_CONSTRAINTS_FAILURE
    else:
        sub = SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE
    return sub, path


def _check_usage(usage: ChainUsage, leaf: asn1_x509.Certificate) -> None:
    """Key usage of the leaf. A signer certificate without a key-usage extension is not
    restricted (RFC 5280 § 4.2.1.3); a timestamp authority's must say time stamping."""
    if usage is ChainUsage.SIGNER and leaf.key_usage_value is None:
        return
    _USAGE_CONSTRAINTS[usage].validate(leaf)


async def _validate(
    chain: ChainData,
    usage: ChainUsage,
    trust: TrustConfig,
    at: datetime,
    policy: ValidationPolicy,
    *,
    current: bool,
) -> PathOutcome:
    # Offline, whatever revocation data we have is used, and missing data is tolerated
    # (soft-fail): an archive often has no network. Online, declared revocation sources
    # must answer.
    rule = (
        RevocationCheckingRule.CHECK_IF_DECLARED
        if trust.online
        else RevocationCheckingRule.CHECK_IF_DECLARED_SOFT
    )
    fetch = trust.online and current
    context = ValidationContext(
        trust_roots=list(trust.root_certificates),  # never the OS store, even when empty
        other_certs=[*trust.intermediate_certificates, *chain.others],
        crls=[*trust.certificate_lists, *chain.crls],
        ocsps=list(chain.ocsps),
        moment=None if fetch else at,
        allow_fetching=fetch,
        algorithm_usage_policy=policy,
        # In past validation, revocation data issued after the time of interest is what
        # proves the certificate was not revoked then (EN 319 102-1 § 5.6.2.4); without
        # this, any CRL newer than a timestamp would count as "too recent".
        revinfo_policy=CertRevTrustPolicy(
            RevocationCheckingPolicy(rule, rule), retroactive_revinfo=not current
        ),
    )
    path: ValidationPath | None = None
    try:
        path = await CertificateValidator(
            chain.leaf, validation_context=context
        ).async_validate_path()
        _check_usage(usage, chain.leaf)
        return PathOutcome(None, evidence=_path_evidence(path, context))
    except (ValidationError, PathError) as error:
        sub, failed_path = _failure(error)
        revoked = error if isinstance(error, RevokedError) else None
        return PathOutcome(
            sub,
            detail=str(error),
            revocation_date=None if revoked is None else revoked.revocation_dt,
            revocation_reason=None if revoked is None else str(revoked.reason.native),
            evidence=_path_evidence(failed_path or path, context),
        )
    except (ValueError, TypeError, KeyError, AssertionError) as error:  # malformed data
        return PathOutcome(SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE, detail=str(error))
    finally:
        await context.aclose()  # type: ignore[no-untyped-call]


_chain_edges_memo: dict[Hashable, tuple[datetime, ...]] = {}
_CHAIN_EDGES_MAX = 4096


class PathChecker:
    """Validates chains against one trust config and validation policy, through a cache."""

    def __init__(
        self,
        trust: TrustConfig,
        cache: PathValidationCache[PathOutcome],
        policy: ValidationPolicy | None = None,
    ) -> None:
        self.trust = trust
        self.cache = cache
        self.policy = policy or ValidationPolicy.default()

    def key(self, chain: ChainData, usage: ChainUsage, at: datetime, *, current: bool) -> Hashable:
        """(usage, chain fingerprints, trust fingerprint, policy fingerprint, revocation
        data fingerprint, time bucket): equal keys give equal results."""
        fetch = self.trust.online and current
        bucket = (
            bisect_right(self.trust.time_edges, at),
            bisect_right(self._chain_edges(chain), at),
            int(at.timestamp()) // _ONLINE_BUCKET_SECONDS if fetch else None,
        )
        return (
            usage.value,
            current,
            chain.chain_fingerprint,
            self.trust.fingerprint,
            self.policy.fingerprint,
            chain.revocation_fingerprint,
            bucket,
        )

    def _chain_edges(self, chain: ChainData) -> tuple[datetime, ...]:
        # Embedded CRLs can be long; their edges are worked out once per distinct data.
        key = (chain.chain_fingerprint, chain.revocation_fingerprint, self.trust.fingerprint)
        found = _chain_edges_memo.get(key)
        if found is None:
            found = chain.time_edges(self.trust)
            if len(_chain_edges_memo) >= _CHAIN_EDGES_MAX:
                _chain_edges_memo.clear()
            _chain_edges_memo[key] = found
        return found

    def check(
        self, chain: ChainData, usage: ChainUsage, at: datetime, *, current: bool
    ) -> PathOutcome:
        """Validate `chain` as of `at`; `current` says `at` is now (online fetching is
        only possible then)."""
        return self.cache.get_or_compute(
            self.key(chain, usage, at, current=current),
            lambda: run_sync(
                _validate(chain, usage, self.trust, at, self.policy, current=current)
            ),
        )
