"""Printable result documents for the demo and the tests: one-page Vietnamese PDFs.

Rendered with fpdf2 in a Unicode TrueType font (DejaVu Sans, which has every Vietnamese
letter), laid out the way a one-stop shop's result reads: the national motto, the issuing
authority, the title, the facts, the place and date.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

__all__ = ["FontNotFound", "ResultDocument", "demo_extra_missing", "find_font", "render_pdf"]

_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/local/share/fonts/DejaVuSans.ttf",
    "/Library/Fonts/DejaVuSans.ttf",
)


class FontNotFound(RuntimeError):
    pass


def demo_extra_missing() -> bool:
    """Whether fpdf2, which only the demo needs (the `demo` extra), is not installed."""
    return importlib.util.find_spec("fpdf") is None


def find_font() -> Path:
    for candidate in _FONT_CANDIDATES:
        path = Path(candidate)
        if path.is_file():
            return path
    raise FontNotFound(
        "no DejaVu Sans font found for Vietnamese text; install it with "
        "`apt-get install fonts-dejavu-core` (Debian/Ubuntu)"
    )


@dataclass(frozen=True)
class ResultDocument:
    authority: str  # e.g. "ỦY BAN NHÂN DÂN XÃ TÂN PHÚ"
    title: str  # e.g. "GIẤY KHAI SINH"
    notation: str  # số/ký hiệu, e.g. "Số: 123/2026"
    facts: Sequence[tuple[str, str]]
    place: str
    issued_on: date
    signer_title: str
    signer_name: str
    body: str = ""


def render_pdf(doc: ResultDocument) -> bytes:
    """The document as a one-page PDF. Needs fpdf2, the `demo` extra (kho[demo])."""
    from fpdf import FPDF

    font = find_font()
    pdf = FPDF(format="A4")
    pdf.set_creation_date(
        datetime(doc.issued_on.year, doc.issued_on.month, doc.issued_on.day, tzinfo=UTC)
    )
    pdf.set_title(doc.title)
    pdf.set_author(doc.authority)
    pdf.set_creator("Kho demo")
    pdf.add_font("DejaVu", "", str(font))
    bold = font.with_name("DejaVuSans-Bold.ttf")
    pdf.add_font("DejaVu", "B", str(bold if bold.is_file() else font))
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    pdf.set_font("DejaVu", "B", 10)
    half = width / 2
    y = pdf.get_y()
    pdf.multi_cell(half - 4, 5, doc.authority, align="C")
    pdf.set_xy(pdf.l_margin + half, y)
    pdf.multi_cell(half, 5, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", align="C")
    pdf.set_x(pdf.l_margin + half)
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(half, 5, "Độc lập - Tự do - Hạnh phúc", align="C")
    pdf.ln(3)
    pdf.set_font("DejaVu", "", 10)
    pdf.cell(half - 4, 5, doc.notation, align="C")
    pdf.ln(14)

    pdf.set_font("DejaVu", "B", 16)
    pdf.multi_cell(width, 9, doc.title, align="C")
    pdf.ln(6)

    pdf.set_font("DejaVu", "", 11)
    label_width = 62
    for label, value in doc.facts:
        pdf.set_font("DejaVu", "", 11)
        pdf.cell(label_width, 7, f"{label}:")
        pdf.set_font("DejaVu", "B", 11)
        pdf.multi_cell(width - label_width, 7, value)
    if doc.body:
        pdf.ln(4)
        pdf.set_font("DejaVu", "", 11)
        pdf.multi_cell(width, 6, doc.body)

    pdf.ln(10)
    pdf.set_font("DejaVu", "", 11)
    d = doc.issued_on
    pdf.set_x(pdf.l_margin + half)
    pdf.multi_cell(
        half, 6, f"{doc.place}, ngày {d.day:02d} tháng {d.month:02d} năm {d.year}", align="C"
    )
    pdf.set_x(pdf.l_margin + half)
    pdf.set_font("DejaVu", "B", 11)
    pdf.multi_cell(half, 6, doc.signer_title, align="C")
    pdf.ln(16)
    pdf.set_x(pdf.l_margin + half)
    pdf.multi_cell(half, 6, doc.signer_name, align="C")
    return bytes(pdf.output())
