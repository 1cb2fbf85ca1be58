"""Fixtures: a test PKI made by the project, a Vietnamese one-page PDF, and one signed
document per validation case (good, two signatures, tampered, content replaced, ...)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from io import BytesIO

import pypdf
import pytest
from asn1crypto import cms
from fpdf import FPDF
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from kho.archive.signatures import PathOutcome, PathValidationCache, TrustConfig
from kho.demo.pki import DEJAVU_SANS, TestPKI


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


def tamper_signed_bytes(signed: bytes) -> bytes:
    """Flip one byte inside the signed byte range (a digit of the creation date, so the
    file still parses)."""
    reader = pypdf.PdfReader(BytesIO(signed))
    sig = reader.trailer["/Root"]["/AcroForm"]["/Fields"][0]["/V"]
    first_range_end = int(sig["/ByteRange"][1])
    at = signed.index(b"/CreationDate (D:") + len(b"/CreationDate (D:")
    assert at < first_range_end
    flipped = b"1" if signed[at : at + 1] != b"1" else b"3"
    return signed[:at] + flipped + signed[at + 1 :]


def replace_page_content(signed: bytes) -> bytes:
    """Append an incremental update giving the page new content, as a forger would."""
    writer = IncrementalPdfFileWriter(BytesIO(signed), strict=False)
    page_ref = writer.root["/Pages"]["/Kids"][0]
    page = page_ref.get_object()
    fake = generic.StreamObject(stream_data=b"BT /F1 24 Tf 72 720 Td (KET QUA GIA MAO) Tj ET")
    page["/Contents"] = writer.add_object(fake)
    writer.update_container(page)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def overwrite_content_stream(signed: bytes) -> bytes:
    """Append an incremental update that overwrites the page's existing content stream
    object (same object number) with other text."""
    writer = IncrementalPdfFileWriter(BytesIO(signed), strict=False)
    contents_ref = writer.root["/Pages"]["/Kids"][0].get_object().raw_get("/Contents")
    fake = generic.StreamObject(stream_data=b"BT /F1 24 Tf 72 720 Td (KET QUA GIA MAO) Tj ET")
    writer.mark_update(contents_ref)
    writer.objects[(contents_ref.generation, contents_ref.idnum)] = fake
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def break_signature_value(signed: bytes) -> bytes:
    """Change the RSA signature value inside /Contents (outside the signed range), keeping
    the CMS well-formed and the same length."""
    reader = pypdf.PdfReader(BytesIO(signed))
    sig = reader.trailer["/Root"]["/AcroForm"]["/Fields"][0]["/V"]
    byte_range = [int(x) for x in sig["/ByteRange"]]
    start, end = byte_range[1] + 1, byte_range[2] - 1  # inside the <...> hex string
    der = bytes.fromhex(signed[start:end].decode("ascii"))
    info = cms.ContentInfo.load(der.rstrip(b"\x00"))
    signer_info = info["content"]["signer_infos"][0]
    value = bytearray(signer_info["signature"].native)
    value[10] ^= 0xFF
    signer_info["signature"] = cms.OctetString(bytes(value))
    new = info.dump(force=True).hex().encode("ascii")
    new = new + b"0" * (end - start - len(new))
    assert len(new) == end - start
    return signed[:start] + new + signed[end:]


def encrypt(data: bytes, *, user_password: str) -> bytes:
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(BytesIO(data)))
    writer.encrypt(user_password=user_password, owner_password="chu-so-huu", algorithm="AES-256")
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


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
