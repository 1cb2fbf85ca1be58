"""Integration tests run on the real servers of `scripts/services start` (Elasticsearch,
MinIO, Tika), whatever KHO_TEST_BACKENDS asks of the contract tests."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator

import pytest
from PIL import Image, ImageDraw, ImageFont
from support.backends import Engines

from kho.demo.documents import find_font


@pytest.fixture
def stack() -> str:
    """Overrides the parametrized `stack` of tests/conftest.py: always the real servers."""
    return "distributed"


@pytest.fixture
def engines() -> Iterator[Engines]:
    """Stop and start real servers in a test; any left stopped is started again after it."""
    handle = Engines()
    try:
        yield handle
    finally:
        handle.restart_stopped()


@pytest.fixture(scope="session")
def scanned_pdf() -> Callable[..., bytes]:
    """A PDF whose only page is an image of Vietnamese text (a scan: no text layer)."""
    from fpdf import FPDF

    def make(*lines: str) -> bytes:
        font = ImageFont.truetype(str(find_font()), 44)
        image = Image.new("L", (1654, 160 + 110 * len(lines)), 255)
        draw = ImageDraw.Draw(image)
        for n, line in enumerate(lines):
            draw.text((90, 80 + n * 110), line, font=font, fill=0)
        png = io.BytesIO()
        image.save(png, "PNG")
        pdf = FPDF()
        pdf.add_page()
        pdf.image(io.BytesIO(png.getvalue()), x=0, y=0, w=210)
        return bytes(pdf.output())

    return make
