"""The validation policy's cryptographic constraints, as data: which digest algorithms and
key sizes are accepted, and until when (in the spirit of EU DSS's constraint.xml).

The built-in policy is `policy.json` beside this module; `KHO_VALIDATION_POLICY` names
another file of the same form. The policy judges a signature's own algorithms
(`check_signature`) and, through pyhanko-certvalidator's algorithm-policy interface, the
signatures of the certificates, CRLs and OCSP responses of its chain. A constraint that
fails only as of now, with a proof of existence before the algorithm's end date, passes
(ETSI EN 319 102-1 § 5.2.8 and § 5.6.2.4); without one it is
INDETERMINATE / CRYPTO_CONSTRAINTS_FAILURE_NO_POE.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import cache
from pathlib import Path
from typing import Any

from asn1crypto import algos, cms, keys
from pyhanko.sign.validation.utils import CMSAlgorithmUsagePolicy
from pyhanko_certvalidator.policy_decl import AlgorithmUsageConstraint

from .errors import ValidationPolicyError
from .status import SubIndication

__all__ = ["CryptoConstraint", "ValidationPolicy"]

BUILT_IN = Path(__file__).with_name("policy.json")

MODIFICATION_LEVELS = ("FAIL", "INDETERMINATE", "WARN")
_DEFAULT_MODIFICATIONS = {
    "docmdp_violation": "FAIL",
    "page_difference": "FAIL",
    "undefined_changes": "INDETERMINATE",
}

# Key types whose size is fixed by the algorithm (asn1crypto cannot always measure them).
_FIXED_SIZE = {"ed25519": 256, "ed448": 448}


def _end_of(day: date | None) -> datetime | None:
    """The last instant of `day` (UTC): an algorithm is accepted through its end date."""
    return None if day is None else datetime.combine(day, time.max, tzinfo=UTC)


def _date(value: object, where: str) -> date | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationPolicyError(f"{where}: expected a date (YYYY-MM-DD) or null")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationPolicyError(f"{where}: {value!r} is not a date (YYYY-MM-DD)") from None


@dataclass(frozen=True)
class CryptoConstraint:
    """A constraint of the policy that a signature did not meet: what (`digest_algorithm`
    or `key_size`), for which algorithm (and key size), and until when it was accepted
    (None: never, in this policy)."""

    kind: str
    algorithm: str
    key_size: int | None
    acceptable_until: date | None
    subindication: SubIndication

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "algorithm": self.algorithm,
            "key_size": self.key_size,
            "acceptable_until": None
            if self.acceptable_until is None
            else self.acceptable_until.isoformat(),
        }


class ValidationPolicy(CMSAlgorithmUsagePolicy):
    """Accepted digest algorithms and key sizes with their end dates. Immutable once
    loaded; `fingerprint` identifies it (the path-validation cache keys on it)."""

    def __init__(self, document: dict[str, Any], source: str, raw: bytes) -> None:
        self.source = source
        self.fingerprint = hashlib.sha256(raw).hexdigest()
        try:
            self.name = str(document["name"])
            self.version = str(document.get("version", ""))
            self.description_vi = str(document.get("description_vi", ""))
            self.description_en = str(document.get("description_en", ""))
            self._modifications = dict(_DEFAULT_MODIFICATIONS)
            for rule, level in dict(document.get("modifications", {})).items():
                if rule not in _DEFAULT_MODIFICATIONS or level not in MODIFICATION_LEVELS:
                    raise ValidationPolicyError(
                        f"{source}: modifications.{rule}: expected one of "
                        f"{', '.join(_DEFAULT_MODIFICATIONS)} with a level of "
                        f"{', '.join(MODIFICATION_LEVELS)}"
                    )
                self._modifications[rule] = str(level)
            self._digests: dict[str, date | None] = {
                str(name).lower(): _date(until, f"digest_algorithms.{name}")
                for name, until in dict(document["digest_algorithms"]).items()
            }
            self._keys: dict[str, list[tuple[int, date | None]]] = {
                str(kind).lower(): sorted(
                    (
                        int(step["bits"]),
                        _date(step.get("acceptable_until"), f"key_sizes.{kind}"),
                    )
                    for step in steps
                )
                for kind, steps in dict(document["key_sizes"]).items()
            }
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            if isinstance(exc, ValidationPolicyError):
                raise
            raise ValidationPolicyError(
                f"{source}: not a validation policy (needs name, digest_algorithms, "
                f"key_sizes): {exc}"
            ) from None

    @classmethod
    def from_file(cls, path: Path | str) -> ValidationPolicy:
        """Load a policy file; ValidationPolicyError naming the file when it is unusable."""
        path = Path(path)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise ValidationPolicyError(f"{path}: cannot read: {exc.strerror}") from None
        try:
            document = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValidationPolicyError(f"{path}: not JSON: {exc}") from None
        if not isinstance(document, dict):
            raise ValidationPolicyError(f"{path}: not a validation policy (a JSON object)")
        return cls(document, str(path), raw)

    @staticmethod
    @cache
    def default() -> ValidationPolicy:
        """The built-in policy (package data)."""
        policy = ValidationPolicy.from_file(BUILT_IN)
        policy.source = "built-in"
        return policy

    def describe(self) -> dict[str, str]:
        """Which policy judged a report (shown in the JSON and HTML reports)."""
        return {
            "name": self.name,
            "version": self.version,
            "source": self.source,
            "sha256": self.fingerprint,
            "description_vi": self.description_vi,
            "description_en": self.description_en,
        }

    # -- the constraints ------------------------------------------------------------------

    def modification_level(self, rule: str) -> str:
        """FAIL, INDETERMINATE or WARN for a kind of change after signing."""
        return self._modifications[rule]

    def digest_until(self, algorithm: str) -> tuple[bool, date | None]:
        """(listed, last accepted day) of a digest algorithm by its asn1crypto name."""
        name = algorithm.lower()
        return (name in self._digests, self._digests.get(name))

    def key_until(
        self, public_key: keys.PublicKeyInfo
    ) -> tuple[str, int | None, bool, date | None]:
        """(key type, bits, accepted at all, last accepted day) of a public key."""
        kind = str(public_key.algorithm).lower()
        bits: int | None = _FIXED_SIZE.get(kind)
        if bits is None:
            try:
                bits = int(public_key.bit_size)
            except (ValueError, TypeError, KeyError, AttributeError):
                return kind, None, False, None
        steps = [until for minimum, until in self._keys.get(kind, []) if bits >= minimum]
        if not steps:
            return kind, bits, False, None
        # The largest step the key reaches decides (steps are sorted by size).
        return kind, bits, True, steps[-1]

    def check_signature(
        self,
        signer_info: cms.SignerInfo,
        public_key: keys.PublicKeyInfo,
        now: datetime,
        poe: datetime | None,
    ) -> CryptoConstraint | None:
        """The first constraint a signature's digest algorithm or signer key fails at
        `now` that no proof of existence `poe` (before its end date) rescues."""
        digest = str(signer_info["digest_algorithm"]["algorithm"].native)
        listed, until = self.digest_until(digest)
        found = _judge("digest_algorithm", digest, None, listed, until, now, poe)
        if found is not None:
            return found
        kind, bits, accepted, key_until = self.key_until(public_key)
        return _judge("key_size", kind, bits, accepted, key_until, now, poe)

    # -- pyhanko-certvalidator's interface, for the chain's signatures ------------------------

    def digest_algorithm_allowed(
        self, algo: algos.DigestAlgorithm, moment: datetime | None
    ) -> AlgorithmUsageConstraint:
        listed, until = self.digest_until(str(algo["algorithm"].native))
        return _constraint(listed, until, moment, f"digest algorithm {algo['algorithm'].native}")

    def signature_algorithm_allowed(
        self,
        algo: algos.SignedDigestAlgorithm,
        moment: datetime | None,
        public_key: keys.PublicKeyInfo | None,
    ) -> AlgorithmUsageConstraint:
        try:
            digest = str(algo.hash_algo)
        except ValueError:  # EdDSA and others carry no separate digest
            digest = None
        if digest is not None:
            listed, until = self.digest_until(digest)
            verdict = _constraint(listed, until, moment, f"digest algorithm {digest}")
            if not verdict.allowed:
                return verdict
        if public_key is None:
            return AlgorithmUsageConstraint(allowed=True)
        kind, bits, accepted, until = self.key_until(public_key)
        return _constraint(accepted, until, moment, f"{kind} key of {bits} bits")


def _judge(
    kind: str,
    algorithm: str,
    bits: int | None,
    accepted: bool,
    until: date | None,
    now: datetime,
    poe: datetime | None,
) -> CryptoConstraint | None:
    if not accepted:
        return CryptoConstraint(
            kind, algorithm, bits, None, SubIndication.CRYPTO_CONSTRAINTS_FAILURE
        )
    end = _end_of(until)
    if end is None or now <= end or (poe is not None and poe <= end):
        return None
    return CryptoConstraint(
        kind, algorithm, bits, until, SubIndication.CRYPTO_CONSTRAINTS_FAILURE_NO_POE
    )


def _constraint(
    accepted: bool, until: date | None, moment: datetime | None, what: str
) -> AlgorithmUsageConstraint:
    if not accepted:
        return AlgorithmUsageConstraint(
            allowed=False, failure_reason=f"{what} is not accepted by the validation policy"
        )
    end = _end_of(until)
    if end is None or (moment is not None and moment <= end):
        return AlgorithmUsageConstraint(allowed=True)
    return AlgorithmUsageConstraint(
        allowed=False,
        not_allowed_after=end,
        failure_reason=f"{what} is accepted only until {until}",
    )
