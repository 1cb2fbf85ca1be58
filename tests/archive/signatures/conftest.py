"""Fixtures: a test PKI made by the project, a Vietnamese one-page PDF, and one signed
document per validation case (good, two signatures, tampered, content replaced, ...)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from fpdf import FPDF
from support.forgeries import (
    break_signature_value,
    encrypt,
    overwrite_content_stream,
    replace_page_content,
    tamper_signed_bytes,
)
from support.pki import DEJAVU_SANS, TestPKI

from kho.archive.signatures import PathOutcome, PathValidationCache, TrustConfig


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TestPKI:
    return TestPKI.create(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def trust(pki: TestPKI) -> TrustConfig:
    return TrustConfig.from_paths([pki.root_cert_path], pki.intermediate_cert_paths, pki.crl_paths)


@pytest.fixture
def cache() -> PathValidationCache[PathOutcome]:
    """A fresh cache, so counters start at zero."""
    return PathValidationCache()


def vietnamese_pdf(name: str = "NGUYỄN THỊ HỒNG NHUNG") -> bytes:
    doc = FPDF(format="A4")
    doc.add_page()
    doc.add_font("DejaVu", "", str(DEJAVU_SANS))
    doc.set_font("DejaVu", size=14)
    doc.cell(0, 10, "GIẤY KHAI SINH", align="C", new_x="LMARGIN", new_y="NEXT")
    doc.set_font("DejaVu", size=11)
    doc.cell(0, 8, f"Họ, chữ đệm, tên: {name}", new_x="LMARGIN", new_y="NEXT")
    doc.cell(0, 8, "Nơi đăng ký: UBND xã Tân Phong, tỉnh Lai Châu", new_x="LMARGIN", new_y="NEXT")
    return bytes(doc.output())


@dataclass(frozen=True)
class Fixtures:
    unsigned: bytes
    good: bytes
    good_other: bytes  # same signer, another document
    two_signatures: bytes
    tampered: bytes
    content_replaced: bytes
    content_overwritten: bytes
    broken_signature_value: bytes
    untrusted: bytes
    expired: bytes
    expired_timestamped: bytes
    expired_document_timestamp: bytes
    revoked: bytes
    timestamp_before_certificate: bytes
    encrypted: bytes
    owner_password_only_signed: bytes


@pytest.fixture(scope="session")
def pdfs(pki: TestPKI) -> Fixtures:
    unsigned = vietnamese_pdf()
    good = pki.sign_pdf(unsigned)
    expired = pki.sign_pdf(unsigned, "expired")
    return Fixtures(
        unsigned=unsigned,
        good=good,
        good_other=pki.sign_pdf(vietnamese_pdf("TRẦN VĂN ĐỨC")),
        two_signatures=pki.sign_pdf(good, "second", timestamp=True),
        tampered=tamper_signed_bytes(good),
        content_replaced=replace_page_content(good),
        content_overwritten=overwrite_content_stream(good),
        broken_signature_value=break_signature_value(good),
        untrusted=pki.sign_pdf(unsigned, "untrusted"),
        expired=expired,
        expired_timestamped=pki.sign_pdf(unsigned, "expired", timestamp=True),
        expired_document_timestamp=pki.add_document_timestamp(
            expired, at=pki.expired_signing_time + timedelta(days=30)
        ),
        revoked=pki.sign_pdf(unsigned, "revoked"),
        timestamp_before_certificate=pki.sign_pdf(
            unsigned, "agency", timestamp=True, signing_time=pki.created_at - timedelta(days=730)
        ),
        encrypted=encrypt(good, user_password="mat-khau"),
        owner_password_only_signed=pki.sign_pdf(encrypt(unsigned, user_password="")),
    )
