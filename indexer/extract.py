"""The Extractor protocol: text and page facts from a deposited file.

Implementations: indexer/extractors/embedded.py (in-process, pypdf) and
indexer/extractors/tika.py (Apache Tika server, with OCR). Pages that carry no text are
reported in `pages_needing_ocr`, never silently returned empty.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

__all__ = ["PDF_MEDIA_TYPE", "Extraction", "Extractor", "guess_language", "sniff_media_type"]

PDF_MEDIA_TYPE = "application/pdf"

# Letters only Vietnamese among Latin-script languages uses (with tone marks composed).
_VIETNAMESE = re.compile(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", re.IGNORECASE)


def sniff_media_type(head: bytes) -> str | None:
    """The media type judged by content, not by name: PDF if `%PDF-` opens the file
    (within its first 1024 bytes, as readers allow), else None."""
    return PDF_MEDIA_TYPE if b"%PDF-" in head[:1024] else None


def guess_language(text: str) -> str | None:
    """'vi' when the text is visibly Vietnamese, 'und' for other text, None for no text."""
    sample = text[:20000]
    if not sample.strip():
        return None
    return "vi" if len(_VIETNAMESE.findall(sample)) >= 3 else "und"


@dataclass(frozen=True)
class Extraction:
    pages: int
    page_texts: tuple[str, ...]
    extractor: str
    pages_needing_ocr: tuple[int, ...] = ()  # 1-based page numbers without text
    ocr_used: bool = False
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n\f".join(self.page_texts)

    @property
    def text_sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @property
    def language(self) -> str | None:
        return guess_language(self.text)


@runtime_checkable
class Extractor(Protocol):
    name: str

    def extract(self, data: bytes, *, media_type: str = PDF_MEDIA_TYPE) -> Extraction:
        """Text per page of a file. Raises UnreadableDocument for a malformed, encrypted or
        over-limit file, ExtractorUnavailable when a remote extractor cannot be reached."""
        ...

    def check(self) -> None:
        """Raise ExtractorUnavailable unless extraction works now."""
        ...

    def close(self) -> None: ...
