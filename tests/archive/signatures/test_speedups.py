"""The speed-ups give exactly what pyHanko's and asn1crypto's own code gives."""

from __future__ import annotations

from io import BytesIO

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils.misc import PdfStreamError

from kho.archive.signatures import speedups
from kho.demo.pki import TestPKI


@pytest.mark.parametrize(
    "text",
    [
        b"<48656C6C6F> rest",
        b"<48 65\n6c\r\n6C\t6F>rest",
        b"<486>",
        b"<>",
        b"<" + b"ab" * 40000 + b">tail",  # longer than one read chunk
        b"<48 % a comment\n 65>",  # comments: pyHanko's reader handles those
        b"<FEFF0054> x",
    ],
)
def test_hex_strings_read_as_pyhanko_reads_them(text: bytes) -> None:
    ours, theirs = BytesIO(text), BytesIO(text)
    assert speedups.read_hex_string(ours) == speedups._original(theirs)
    assert ours.tell() == theirs.tell()


@pytest.mark.parametrize("text", [b"<48G5>", b"<4865", b"<"])
def test_bad_hex_strings_fail_as_pyhanko_fails(text: bytes) -> None:
    with pytest.raises(PdfStreamError):
        speedups._original(BytesIO(text))
    with pytest.raises(PdfStreamError):
        speedups.read_hex_string(BytesIO(text))


def test_name_equality_matches_asn1crypto(pki: TestPKI) -> None:
    def cert(name: str) -> asn1_x509.Certificate:
        der = pki.signer_certificate(name).public_bytes(Encoding.DER)
        return asn1_x509.Certificate.load(der)

    agency, second, untrusted = cert("agency"), cert("second"), cert("untrusted")
    pairs = [
        (agency.issuer, second.issuer),  # same issuer
        (agency.issuer, untrusted.issuer),  # different issuers
        (agency.subject, agency.issuer),
        # a Name inside a GeneralName carries an explicit tag: equal, different DER
        (asn1_x509.GeneralName(name="directory_name", value=agency.issuer).chosen, second.issuer),
    ]
    for first, other in pairs:
        expected = speedups._original_name_eq(first, other)
        assert speedups.names_equal(first, other) is expected
        assert speedups.names_equal(first, other) is expected  # remembered
    assert speedups.names_equal(agency.issuer, "not a name") is False
