"""In-process PDF text extraction with pypdf, the embedded default's Extractor.

pypdf is pure Python, so a hostile file can at worst raise or take time, not crash the
process; page count is capped by KHO_MAX_PAGES. It does no OCR: a page without text is
flagged in `pages_needing_ocr` (Tika server does OCR on the distributed setup).
"""

from __future__ import annotations

import io
import logging
import time

from pypdf import PdfReader
from pypdf.errors import PyPdfError

from kho.indexer.errors import UnreadableDocument
from kho.indexer.extract import PDF_MEDIA_TYPE, Extraction
from kho.indexer.folding import normalize

__all__ = ["EmbeddedExtractor"]

logging.getLogger("pypdf").setLevel(logging.CRITICAL)


class EmbeddedExtractor:
    name = "embedded"

    def __init__(self, *, max_pages: int = 2000, timeout_s: float = 60.0) -> None:
        self.max_pages = max_pages
        self.timeout_s = timeout_s

    def extract(self, data: bytes, *, media_type: str = PDF_MEDIA_TYPE) -> Extraction:
        if media_type != PDF_MEDIA_TYPE:
            raise UnreadableDocument(f"cannot extract text from {media_type}")
        try:
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                raise UnreadableDocument("the PDF is encrypted; an archive keeps unencrypted PDFs")
            count = len(reader.pages)
            if count > self.max_pages:
                raise UnreadableDocument(
                    f"the PDF has {count} pages, more than the limit of {self.max_pages}"
                )
            deadline = time.monotonic() + self.timeout_s
            texts: list[str] = []
            for page in reader.pages:
                if time.monotonic() > deadline:
                    raise UnreadableDocument(
                        f"text extraction took longer than {self.timeout_s:g} s"
                    )
                texts.append(normalize(page.extract_text() or "").strip())
            info: dict[str, object] = dict(reader.metadata or {})
            metadata = {
                str(k).lstrip("/"): str(v)
                for k, v in info.items()
                if isinstance(v, str) and len(str(v)) < 1000
            }
        except UnreadableDocument:
            raise
        except (
            PyPdfError,
            ValueError,
            TypeError,
            KeyError,
            IndexError,
            AttributeError,
            RecursionError,
            OverflowError,
            ZeroDivisionError,
            AssertionError,
            OSError,
        ) as exc:
            raise UnreadableDocument(
                f"not a readable PDF: {type(exc).__name__}: {exc}"[:300]
            ) from None
        if count == 0:
            raise UnreadableDocument("the PDF has no pages")
        return Extraction(
            pages=count,
            page_texts=tuple(texts),
            extractor=self.name,
            pages_needing_ocr=tuple(i + 1 for i, t in enumerate(texts) if not t),
            metadata=metadata,
        )

    def check(self) -> None:
        return None

    def close(self) -> None:
        return None
