"""Forms of CMS signature containers in PDFs beyond the plain detached one: the bytes a
byte range covers (for adbe.pkcs7.sha1, which signs their SHA-1 digest), and BSI
TR-03111 plain ECDSA signature values, turned into the DER form pyHanko verifies."""

from __future__ import annotations

from asn1crypto import algos, cms
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature

__all__ = ["byte_range_data", "with_der_ecdsa"]

# BSI TR-03111 "plain" ECDSA (r || s instead of DER), used by German qualified CAs.
_PLAIN_ECDSA = {
    "0.4.0.127.0.7.1.1.4.1.1": "sha1_ecdsa",
    "0.4.0.127.0.7.1.1.4.1.2": "sha224_ecdsa",
    "0.4.0.127.0.7.1.1.4.1.3": "sha256_ecdsa",
    "0.4.0.127.0.7.1.1.4.1.4": "sha384_ecdsa",
    "0.4.0.127.0.7.1.1.4.1.5": "sha512_ecdsa",
}


def byte_range_data(embedded: EmbeddedPdfSignature) -> bytes:
    """The bytes a signature's /ByteRange covers."""
    stream = embedded.reader.stream
    chunks = []
    ranges = list(embedded.sig_object["/ByteRange"])
    for offset, length in zip(ranges[0::2], ranges[1::2], strict=False):
        stream.seek(int(offset))
        chunks.append(stream.read(int(length)))
    return b"".join(chunks)


def with_der_ecdsa(signer_info: cms.SignerInfo) -> cms.SignerInfo:
    """`signer_info` itself, or for a plain-ECDSA signature (BSI TR-03111) a copy with
    the standard algorithm and the DER form of its (r, s) value, which pyHanko verifies."""
    standard = _PLAIN_ECDSA.get(signer_info["signature_algorithm"]["algorithm"].dotted)
    if standard is None:
        return signer_info
    copy = cms.SignerInfo.load(signer_info.dump())
    raw: bytes = signer_info["signature"].native
    copy["signature_algorithm"] = algos.SignedDigestAlgorithm({"algorithm": standard})
    copy["signature"] = algos.DSASignature.from_p1363(raw).dump()
    return copy
