"""Trust roots, intermediates and CRLs load from PEM or DER files and folders; a bad file
is named in the error."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from kho.archive.signatures import TrustConfig, TrustConfigError
from kho.demo.pki import TestPKI


def test_from_paths_loads_pem_and_der(pki: TestPKI, tmp_path: Path) -> None:
    der = tmp_path / "root.cer"
    der.write_bytes(
        x509.load_pem_x509_certificate(pki.root_cert_path.read_bytes()).public_bytes(Encoding.DER)
    )
    from_pem = TrustConfig.from_paths([pki.root_cert_path], crls=pki.crl_paths)
    from_der = TrustConfig.from_paths([der], crls=pki.crl_paths)
    assert from_pem.roots == from_der.roots
    assert from_pem.fingerprint == from_der.fingerprint
    assert len(from_pem.crls) == 2


def test_a_folder_loads_every_certificate_and_skips_other_files(
    pki: TestPKI, tmp_path: Path
) -> None:
    bundle = pki.root_cert_path.read_bytes() + pki.untrusted_root_cert_path.read_bytes()
    (tmp_path / "roots.pem").write_bytes(bundle)  # two certificates in one PEM file
    (tmp_path / "README.txt").write_text("không phải chứng thư", encoding="utf-8")
    config = TrustConfig.from_paths([tmp_path])
    assert len(config.roots) == 2


def test_unreadable_file_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "goc-tin-cay.pem"
    bad.write_bytes(b"-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n")
    with pytest.raises(TrustConfigError, match=re.escape("goc-tin-cay.pem")):
        TrustConfig.from_paths([bad])
    garbage = tmp_path / "rac.der"
    garbage.write_bytes(b"\x00\x01garbage")
    with pytest.raises(TrustConfigError, match=re.escape("rac.der")):
        TrustConfig.from_paths([garbage])


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(TrustConfigError, match=re.escape("khong-co.pem")):
        TrustConfig.from_paths([tmp_path / "khong-co.pem"])


def test_a_certificate_is_not_a_crl(pki: TestPKI) -> None:
    with pytest.raises(TrustConfigError, match="CRL"):
        TrustConfig.from_paths([pki.root_cert_path], crls=[pki.root_cert_path])


def test_online_changes_the_fingerprint(pki: TestPKI) -> None:
    offline = TrustConfig.from_paths([pki.root_cert_path])
    online = TrustConfig.from_paths([pki.root_cert_path], online=True)
    assert offline.fingerprint != online.fingerprint
