"""The test PKI of `kho demo`: created once, loaded afterwards, with the promised certs."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509

from kho.demo.pki import SIGNERS, TestPKI, UnknownSigner


def test_create_is_idempotent(pki: TestPKI) -> None:
    again = TestPKI.create(pki.folder)
    assert again.created_at == pki.created_at
    assert again.root_cert_path.read_bytes() == pki.root_cert_path.read_bytes()


def test_signers_have_the_promised_validity(pki: TestPKI) -> None:
    now = datetime.now(UTC)
    assert set(SIGNERS) == {"agency", "second", "expired", "revoked", "untrusted"}
    expired = pki.signer_certificate("expired")
    assert expired.not_valid_after_utc < now
    assert expired.not_valid_before_utc < pki.expired_signing_time < expired.not_valid_after_utc
    agency = pki.signer_certificate("agency")
    assert agency.not_valid_before_utc < now < agency.not_valid_after_utc
    name = agency.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value
    assert name == "UBND xã Tân Phong"


def test_crl_lists_the_revoked_signer(pki: TestPKI) -> None:
    revoked = pki.signer_certificate("revoked")
    crls = [x509.load_der_x509_crl(path.read_bytes()) for path in pki.crl_paths]
    entries = [crl.get_revoked_certificate_by_serial_number(revoked.serial_number) for crl in crls]
    [entry] = [e for e in entries if e is not None]
    assert entry.revocation_date_utc == pki.revoked_at


def test_unknown_signer_is_refused(pki: TestPKI) -> None:
    with pytest.raises(UnknownSigner):
        pki.sign_pdf(b"%PDF-1.7", "nobody")


def test_paths_exist(pki: TestPKI) -> None:
    paths: list[Path] = [pki.root_cert_path, *pki.intermediate_cert_paths, *pki.crl_paths]
    assert all(path.is_file() for path in paths)
