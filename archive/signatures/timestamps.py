"""RFC 3161 timestamp tokens: is a token intact, signed by its TSA, and is that TSA
trusted? A trusted token is proof that what it stamps existed at its time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import cms, tsp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes
from pyhanko.sign.general import (
    CMSExtractionError,
    extract_certificate_info,
    find_cms_attribute_iter,
)
from pyhanko.sign.validation.generic_cms import validate_sig_integrity
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from .paths import ChainData, PathOutcome

__all__ = ["TimestampCheck", "check_token", "content_timestamps", "signature_timestamps"]

ChainJudge = Callable[[ChainData], PathOutcome]


@dataclass(frozen=True)
class TimestampCheck:
    """What one timestamp token proves. `time` is its genTime, whether or not it checks
    out; only a `trusted` token is proof of existence."""

    time: datetime | None
    intact: bool
    valid: bool
    outcome: PathOutcome | None = None

    @property
    def trusted(self) -> bool:
        return self.intact and self.valid and self.outcome is not None and self.outcome.ok


def signature_timestamps(signer_info: cms.SignerInfo) -> list[cms.SignedData]:
    """Signature timestamps (unsigned attribute): they stamp the signature value."""
    return [
        token["content"]
        for token in find_cms_attribute_iter(
            signer_info["unsigned_attrs"], "signature_time_stamp_token"
        )
    ]


def content_timestamps(signer_info: cms.SignerInfo) -> list[cms.SignedData]:
    """Content timestamps (signed attribute): they stamp the signed data before signing."""
    return [
        token["content"]
        for token in find_cms_attribute_iter(signer_info["signed_attrs"], "content_time_stamp")
    ]


def digest_of(data: bytes, algorithm: str) -> bytes | None:
    """`data` hashed with a CMS-named algorithm; None if the algorithm is unknown."""
    try:
        md = hashes.Hash(get_pyca_cryptography_hash(algorithm))
    except (AttributeError, ValueError, KeyError):
        return None
    md.update(data)
    return md.finalize()


def check_token(
    token: cms.SignedData,
    expected_imprint: Callable[[str], bytes | None],
    judge: ChainJudge,
    extra_certs: tuple[asn1_x509.Certificate, ...] = (),
) -> TimestampCheck:
    """Check a token whose message imprint should be `expected_imprint(hash algorithm)`;
    `judge` validates the TSA's chain (with whatever proof of existence applies)."""
    eci = token["encap_content_info"]
    tst_info = eci["content"].parsed
    if not isinstance(tst_info, tsp.TSTInfo):
        return TimestampCheck(None, intact=False, valid=False)
    when: datetime = tst_info["gen_time"].native
    imprint = tst_info["message_imprint"]
    expected = expected_imprint(imprint["hash_algorithm"]["algorithm"].native)
    imprint_ok = expected is not None and expected == imprint["hashed_message"].native
    try:
        cert_info = extract_certificate_info(token)
    except CMSExtractionError:
        return TimestampCheck(when, intact=imprint_ok, valid=False)
    signer_info = token["signer_infos"][0]
    content_digest = digest_of(
        bytes(eci["content"]), signer_info["digest_algorithm"]["algorithm"].native
    )
    if content_digest is None:
        return TimestampCheck(when, intact=False, valid=False)
    intact, valid = validate_sig_integrity(
        signer_info,
        cert_info.signer_cert,
        expected_content_type="tst_info",
        actual_digest=content_digest,
    )
    intact = intact and imprint_ok
    if not (intact and valid):
        return TimestampCheck(when, intact=intact, valid=valid)
    outcome = judge(ChainData(cert_info.signer_cert, others=(*cert_info.other_certs, *extra_certs)))
    return TimestampCheck(when, intact=True, valid=True, outcome=outcome)
