"""Tika server: scanned pages read by Tesseract's Vietnamese model, text per page, refusals."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest

from kho.demo.pki import TestPKI
from kho.indexer.errors import UnreadableDocument
from kho.services import Access, Services
from kho.services.queries import SearchQuery
from kho.settings import Settings
from kho.wiring import build_extractor

pytestmark = pytest.mark.integration

SYSTEM = Access.system(purpose="000.00.15.H62-261123-0001")
LINES = (
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT",
    "Người sử dụng đất: Trần Văn Đức",
    "Thửa đất số 128, mục đích sử dụng: đất ở",
)


def test_a_scanned_vietnamese_page_is_read_by_ocr(
    settings: Settings, scanned_pdf: Callable[..., bytes]
) -> None:
    extractor = build_extractor(settings)
    try:
        result = extractor.extract(scanned_pdf(*LINES))
    finally:
        extractor.close()
    assert result.extractor == "tika"
    assert result.ocr_used
    assert result.pages == 1 and result.pages_needing_ocr == ()
    for words in ("QUYỀN SỬ DỤNG ĐẤT", "Trần Văn Đức", "mục đích sử dụng"):
        assert words in result.text
    assert result.language == "vi"


def test_a_deposited_scan_is_found_by_the_words_in_its_image(
    services: Services,
    pki: TestPKI,
    scanned_pdf: Callable[..., bytes],
    metadata: Callable[..., dict[str, Any]],
) -> None:
    signed = pki.sign_pdf(scanned_pdf(*LINES))
    outcome = services.deposit.deposit(signed, "scan.pdf", metadata(), SYSTEM)
    record_id = outcome.record["record_id"]
    manifest = services.backends.packages.latest_manifest(record_id)
    assert manifest.extraction.ocr_used

    found = services.search.search(
        SearchQuery(today=services.backends.today(), q="thua dat so 128"), SYSTEM
    )
    assert [item["record"]["record_id"] for item in found.items] == [record_id]
    assert "<mark>Thửa</mark> <mark>đất</mark>" in found.items[0]["highlights"]["text"][0]


def test_text_ocr_and_blank_pages_come_back_page_by_page(
    settings: Settings, scanned_pdf: Callable[..., bytes]
) -> None:
    from fpdf import FPDF
    from pypdf import PdfReader, PdfWriter

    from kho.demo.documents import find_font

    text_page = FPDF()
    text_page.add_font("dejavu", fname=str(find_font()))
    text_page.set_font("dejavu", size=14)
    text_page.add_page()
    text_page.cell(text="Trang một: Ủy ban nhân dân xã Tân Phong")
    blank = FPDF()
    blank.add_page()
    writer = PdfWriter()
    for part in (bytes(text_page.output()), scanned_pdf(*LINES), bytes(blank.output())):
        writer.append(PdfReader(io.BytesIO(part)))
    combined = io.BytesIO()
    writer.write(combined)

    extractor = build_extractor(settings)
    try:
        result = extractor.extract(combined.getvalue())
    finally:
        extractor.close()
    assert result.pages == 3 and len(result.page_texts) == 3
    assert "Ủy ban nhân dân xã Tân Phong" in result.page_texts[0]
    assert "Trần Văn Đức" in result.page_texts[1]
    assert result.page_texts[2] == ""
    assert result.pages_needing_ocr == (3,)
    assert result.ocr_used


def test_an_encrypted_pdf_is_refused(settings: Settings, make_pdf: Callable[..., bytes]) -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(make_pdf())))
    writer.encrypt(user_password="", owner_password="owner")  # opens without a password
    encrypted = io.BytesIO()
    writer.write(encrypted)
    extractor = build_extractor(settings)
    try:
        with pytest.raises(UnreadableDocument, match="encrypted"):
            extractor.extract(encrypted.getvalue())
    finally:
        extractor.close()
