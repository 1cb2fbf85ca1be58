"""The agency's signature on a copy: PKCS#12 or a PKCS#11 token (SoftHSM2), B-B or B-T,
a Vietnamese reason, TOTAL-PASSED under the test roots; missing settings named."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from support.scans import BIRTH, scan
from support.tokens import P12_PASSWORD, Token
from support.tsa import serve_tsa

from kho.demo.pki import TestPKI
from kho.digitization.errors import SigningNotConfigured
from kho.digitization.scans import ScanLimits, read_scans
from kho.digitization.signing import REASON, AgencySigner, SigningConfig
from kho.services import Services


@pytest.fixture(scope="module")
def copy_pdf() -> bytes:
    limits = ScanLimits(50 << 20, 10, 40_000_000)
    return read_scans([("a.png", scan(BIRTH))], limits).image_pdf()


def _reason(pdf: bytes) -> str:
    sig = PdfFileReader(BytesIO(pdf)).embedded_signatures[0]
    return str(sig.sig_object["/Reason"])


def test_a_pkcs12_key_signs_a_copy_that_verifies(
    services: Services, p12: Path, copy_pdf: bytes
) -> None:
    signer = AgencySigner(SigningConfig(pkcs12=p12, pkcs12_password=P12_PASSWORD))
    assert signer.signed_by == "UBND xã Tân Phong" and signer.profile == "PAdES-B-B"
    signed = signer.sign(copy_pdf)
    assert "số hóa" in _reason(signed) and _reason(signed) == REASON
    report = services.verify.validate(signed)
    assert report.indication == "TOTAL-PASSED"


def test_a_test_tsa_makes_it_pades_b_t(
    services: Services, pki: TestPKI, p12: Path, copy_pdf: bytes
) -> None:
    with serve_tsa(pki) as url:
        signer = AgencySigner(SigningConfig(pkcs12=p12, pkcs12_password=P12_PASSWORD, tsa_url=url))
        assert signer.profile == "PAdES-B-T"
        signed = signer.sign(copy_pdf)
    report = services.verify.validate(signed)
    assert report.indication == "TOTAL-PASSED"
    assert report.signatures[0].timestamp_time is not None


def test_a_softhsm2_token_signs_through_pkcs11(
    services: Services, softhsm_token: Token, copy_pdf: bytes
) -> None:
    token = softhsm_token
    config = SigningConfig(
        pkcs11_module=token.module,
        pkcs11_token=token.label,
        pkcs11_pin=token.pin,
        key_label=token.key_label,
    )
    signer = AgencySigner(config)
    try:
        assert signer.signed_by == "UBND xã Tân Phong"
        signed = signer.sign(copy_pdf)
    finally:
        signer.close()
    assert services.verify.validate(signed).indication == "TOTAL-PASSED"
    wrong = SigningConfig(
        pkcs11_module=token.module,
        pkcs11_token=token.label,
        pkcs11_pin=token.pin,
        key_label="no-such-key",
    )
    with pytest.raises(SigningNotConfigured) as refused:
        AgencySigner(wrong)
    assert refused.value.setting == "KHO_SIGNING_KEY_LABEL"


@pytest.mark.parametrize(
    ("config", "setting"),
    [
        (SigningConfig(), "KHO_SIGNING_PKCS12"),
        (SigningConfig(pkcs12=Path("/nonexistent.p12")), "KHO_SIGNING_PKCS12"),
        (
            SigningConfig(pkcs11_module=Path("/usr/lib/softhsm/libsofthsm2.so")),
            "KHO_SIGNING_PKCS11_TOKEN",
        ),
        (
            SigningConfig(pkcs11_module=Path("/x.so"), pkcs11_token="t", pkcs11_pin="1"),
            "KHO_SIGNING_KEY_LABEL",
        ),
    ],
)
def test_a_missing_setting_is_named(config: SigningConfig, setting: str) -> None:
    with pytest.raises(SigningNotConfigured) as refused:
        AgencySigner(config)
    assert refused.value.setting == setting
    assert setting in refused.value.detail


def test_a_wrong_password_is_named(p12: Path) -> None:
    with pytest.raises(SigningNotConfigured, match="KHO_SIGNING_PKCS12_PASSWORD"):
        AgencySigner(SigningConfig(pkcs12=p12, pkcs12_password="sai"))
    with pytest.raises(SigningNotConfigured) as refused:
        AgencySigner(SigningConfig(pkcs12=p12))
    assert refused.value.setting == "KHO_SIGNING_PKCS12_PASSWORD"
