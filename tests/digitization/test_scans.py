"""Reading scans: formats judged by content, multi-frame TIFFs, limits, hostile input."""

from __future__ import annotations

import io

import pikepdf
import pytest
from PIL import Image
from support.scans import BIRTH, encode, scan, tiff

from kho.demo.pki import TestPKI
from kho.demo.scans import render_scan
from kho.digitization.errors import ScanRejected, ScanTooLarge
from kho.digitization.scans import ScanLimits, read_scans

LIMITS = ScanLimits(max_bytes=50 << 20, max_pages=10, max_page_pixels=40_000_000)


def test_png_jpeg_and_a_multipage_tiff_give_their_pages_in_order() -> None:
    page = render_scan(BIRTH, dpi=200)
    scans = read_scans(
        [("a.png", encode(page)), ("b.jpg", encode(page, "JPEG")), ("c.tif", tiff(page, page))],
        LIMITS,
    )
    assert [p.number for p in scans.pages] == [1, 2, 3, 4]
    assert [(p.file_index, p.frame) for p in scans.pages] == [(0, 0), (1, 0), (2, 0), (2, 1)]
    assert [f.media_type for f in scans.files] == ["image/png", "image/jpeg", "image/tiff"]
    assert all(abs((p.dpi or 0) - 200) < 1 for p in scans.pages)
    assert not any(p.blank for p in scans.pages)
    pdf = pikepdf.open(io.BytesIO(scans.image_pdf()))
    assert len(pdf.pages) == 4
    width_pt = float(pdf.pages[0].mediabox[2])
    assert abs(width_pt - 595) < 3  # A4 at 200 dpi is 210 mm wide


def test_the_scans_identity_follows_their_bytes_and_order() -> None:
    a, b = scan(BIRTH), scan(BIRTH, noise=0.01)
    first = read_scans([("1.png", a), ("2.png", b)], LIMITS)
    again = read_scans([("x.png", a), ("y.png", b)], LIMITS)
    swapped = read_scans([("1.png", b), ("2.png", a)], LIMITS)
    assert first.key == again.key != swapped.key


def test_a_blank_page_is_recognised() -> None:
    blank = Image.new("RGB", (1654, 2339), "white")
    blank.info["dpi"] = (200, 200)
    assert read_scans([("blank.png", encode(blank))], LIMITS).pages[0].blank


@pytest.mark.parametrize(
    "data",
    [b"", b"not an image at all", b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, b"%PDF-1.7\n garbage"],
    ids=["empty", "text", "truncated-png", "broken-pdf"],
)
def test_garbage_is_refused_with_a_message_naming_the_file(data: bytes) -> None:
    with pytest.raises(ScanRejected, match=r"x\.bin"):
        read_scans([("x.bin", data)], LIMITS)


def test_a_truncated_jpeg_is_refused_here_not_in_ocr() -> None:
    data = scan(BIRTH, "JPEG")
    with pytest.raises(ScanRejected):
        read_scans([("cut.jpg", data[: len(data) // 3])], LIMITS)


def test_limits_on_pages_pixels_and_bytes() -> None:
    page = render_scan(BIRTH, dpi=200)
    with pytest.raises(ScanTooLarge, match="KHO_DIGITIZE_MAX_PAGES"):
        read_scans([("many.tif", tiff(*[page] * 3))], ScanLimits(50 << 20, 2, 40_000_000))
    with pytest.raises(ScanTooLarge, match="megapixels"):
        read_scans([("big.png", encode(page))], ScanLimits(50 << 20, 10, 1_000_000))
    with pytest.raises(ScanTooLarge, match="limit"):
        read_scans([("a.png", encode(page))], ScanLimits(1000, 10, 40_000_000))


def test_pdfs_made_of_page_images_are_accepted_but_not_signed_or_born_digital_ones(
    pki: TestPKI, make_pdf: object
) -> None:
    image_pdf = read_scans([("a.png", scan(BIRTH))], LIMITS).image_pdf()
    scans = read_scans([("scan.pdf", image_pdf)], LIMITS)
    assert len(scans.pages) == 1 and scans.is_pdf
    assert abs((scans.pages[0].dpi or 0) - 200) < 2
    with pytest.raises(ScanRejected, match="already signed"):
        read_scans([("signed.pdf", pki.sign_pdf(image_pdf))], LIMITS)
    born_digital = make_pdf()  # type: ignore[operator]
    with pytest.raises(ScanRejected, match="no scanned image"):
        read_scans([("born.pdf", born_digital)], LIMITS)
    with pytest.raises(ScanRejected, match="alone"):
        read_scans([("scan.pdf", image_pdf), ("b.png", scan(BIRTH))], LIMITS)


def test_an_encrypted_pdf_is_refused() -> None:
    image_pdf = read_scans([("a.png", scan(BIRTH))], LIMITS).image_pdf()
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(image_pdf)) as pdf:
        pdf.save(out, encryption=pikepdf.Encryption(owner="o", user="secret"))
    with pytest.raises(ScanRejected, match="encrypted"):
        read_scans([("locked.pdf", out.getvalue())], LIMITS)
