"""Whether a result may be reused instead of asking for paper, and if not, why: the one
place that verdict is made (CONTRACT.md "Reuse means trustworthy").

A result is reusable on day D when it is valid on D (archive/status.py) and its signature
verdict is acceptable: TOTAL-PASSED, or any indication under `KHO_REUSE_SIGNATURE=any` (for
pilots without trust roots). It is judged whenever it is read, from the validity facts and
the indication of the latest validation, never read from a stored flag. The search engines
filter on the same rule (indexer/engines/*, checked against `reuse_on` by the contract
tests).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from kho.archive.status import Validity
from kho.settings import SignaturePolicy

__all__ = ["PASSED", "Reuse", "ReuseBlocker", "SignaturePolicy", "accepts", "reuse_on"]

PASSED = "TOTAL-PASSED"
FAILED = "TOTAL-FAILED"


class ReuseBlocker(StrEnum):
    """Why a result may not be reused (the codes of `reuse_blockers`)."""

    not_yet_valid = "not_yet_valid"
    expired = "expired"
    revoked = "revoked"
    superseded = "superseded"
    disposed = "disposed"
    signature_failed = "signature_failed"
    signature_indeterminate = "signature_indeterminate"
    unsigned = "unsigned"


def accepts(policy: SignaturePolicy, indication: str | None) -> bool:
    """Whether `policy` lets a signature with this indication permit reuse."""
    if indication is None:
        return False
    return policy is SignaturePolicy.any or indication == PASSED


@dataclass(frozen=True)
class Reuse:
    blockers: tuple[ReuseBlocker, ...]

    @property
    def reusable(self) -> bool:
        return not self.blockers

    def to_json(self) -> dict[str, object]:
        return {"reusable": self.reusable, "reuse_blockers": [b.value for b in self.blockers]}


def _validity_blockers(validity: Validity, day: date) -> list[ReuseBlocker]:
    """Every validity rule the result fails on `day` (not only the one `status` names)."""
    blockers = []
    if validity.disposed:
        blockers.append(ReuseBlocker.disposed)
    if validity.revoked_on is not None and validity.revoked_on <= day:
        blockers.append(ReuseBlocker.revoked)
    if validity.superseded_on is not None and validity.superseded_on <= day:
        blockers.append(ReuseBlocker.superseded)
    if validity.valid_until is not None and validity.valid_until < day:
        blockers.append(ReuseBlocker.expired)
    if validity.valid_from > day:
        blockers.append(ReuseBlocker.not_yet_valid)
    return blockers


def _signature_blocker(indication: str | None, policy: SignaturePolicy) -> ReuseBlocker | None:
    if accepts(policy, indication):
        return None
    if indication is None:
        return ReuseBlocker.unsigned
    if indication == FAILED:
        return ReuseBlocker.signature_failed
    return ReuseBlocker.signature_indeterminate


def reuse_on(
    validity: Validity,
    indication: str | None,
    day: date,
    policy: SignaturePolicy = SignaturePolicy.total_passed,
) -> Reuse:
    """The reuse verdict on `day` from the validity facts and the signature indication."""
    blockers = _validity_blockers(validity, day)
    signature = _signature_blocker(indication, policy)
    if signature is not None:
        blockers.append(signature)
    return Reuse(tuple(blockers))
