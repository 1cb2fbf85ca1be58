"""The Extractor contract: in-process pypdf and Tika server extract the same facts."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from kho.indexer.errors import UnreadableDocument
from kho.indexer.extract import Extractor
from kho.settings import Settings
from kho.wiring import build_extractor


@pytest.fixture
def extractor(settings: Settings) -> Iterator[Extractor]:
    built = build_extractor(settings)
    try:
        yield built
    finally:
        built.close()


def test_vietnamese_text_comes_back_with_its_diacritics(
    extractor: Extractor, make_pdf: Callable[..., bytes]
) -> None:
    pdf = make_pdf("GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT", ("Người sử dụng đất", "Trần Văn Đức"))
    result = extractor.extract(pdf)
    assert result.pages == 1
    assert "QUYỀN SỬ DỤNG ĐẤT" in result.text
    assert "Trần Văn Đức" in result.text
    assert result.language == "vi"
    assert result.pages_needing_ocr == ()
    assert len(result.text_sha256) == 64


def test_a_signed_pdf_is_extracted_like_the_unsigned_one(
    extractor: Extractor, signed_pdf: Callable[..., bytes]
) -> None:
    result = extractor.extract(signed_pdf("GIẤY KHAI SINH", ("Họ tên", "Nguyễn Thị Ánh")))
    assert "Nguyễn Thị Ánh" in result.text


@pytest.mark.parametrize(
    "data",
    [b"", b"not a pdf at all", b"%PDF-1.7\n%garbage\n1 0 obj << /Type /Catalog", b"\x00" * 2048],
    ids=["empty", "text", "truncated", "zeros"],
)
def test_unreadable_input_is_refused_clearly(extractor: Extractor, data: bytes) -> None:
    with pytest.raises(UnreadableDocument):
        extractor.extract(data)


def test_a_page_without_text_is_flagged_for_ocr(extractor: Extractor) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 50, 50)
    result = extractor.extract(bytes(pdf.output()))
    if result.ocr_used:
        # An OCR-capable extractor read the page; a drawn square carries no words.
        assert result.text.strip() == ""
    assert result.pages_needing_ocr == (1,)
