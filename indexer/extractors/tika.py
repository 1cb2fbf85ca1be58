"""Text extraction by an Apache Tika server (3.x), with OCR in Vietnamese for scanned pages.

We call Tika's REST API with httpx rather than through the `tika` package: that package
downloads a server jar unless told not to and reads its own environment variables
(TIKA_SERVER_ENDPOINT, TIKA_CLIENT_ONLY), while Kho keeps every setting in kho/settings.py
(KHO_TIKA_URL, KHO_TIKA_OCR_LANGUAGE, KHO_EXTRACTION_TIMEOUT_S, KHO_MAX_PAGES).

One request per file: `PUT /rmeta/html` returns the metadata as JSON and the content as
XHTML in which the PDF parser wraps each page in `<div class="page">`, which gives text per
page. OCR is asked for with `X-Tika-PDFOcrStrategy: auto` (Tesseract runs only on pages
whose text layer is empty or unusable) and `X-Tika-OCRLanguage: vie`; its text arrives
inside the page as `<div class="ocr">`. Embedded attachments are not parsed.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any

import httpx

from kho.indexer.errors import ExtractorUnavailable, UnreadableDocument
from kho.indexer.extract import PDF_MEDIA_TYPE, Extraction
from kho.indexer.folding import normalize

if TYPE_CHECKING:
    from kho.settings import Settings

__all__ = ["TikaExtractor"]

# Extracted characters allowed per page before the file is refused (a text bomb).
_CHARS_PER_PAGE = 50_000
# Tika's PDF metadata that means something to a reader, under the PDF Info names the
# embedded extractor reports.
_DOCINFO = {
    "pdf:docinfo:title": "Title",
    "pdf:docinfo:creator": "Author",
    "pdf:docinfo:subject": "Subject",
    "pdf:docinfo:keywords": "Keywords",
    "pdf:docinfo:creator_tool": "Creator",
    "pdf:docinfo:producer": "Producer",
    "pdf:docinfo:created": "CreationDate",
    "pdf:docinfo:modified": "ModDate",
}
_BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"})


class _Pages(HTMLParser):
    """Text of each `<div class="page">` of Tika's XHTML, and whether OCR produced any."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pages: list[str] = []
        self.ocr_text = False
        self._parts: list[str] = []
        self._depth = 0  # div nesting inside the current page; 0 = outside any page
        self._ocr_depth = 0  # depth at which an ocr div opened; 0 = not in one

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag == "div":
            if self._depth == 0:
                if "page" in classes:
                    self._depth = 1
                    self._parts = []
                return
            self._depth += 1
            if "ocr" in classes and self._ocr_depth == 0:
                self._ocr_depth = self._depth
        if self._depth and tag in _BLOCKS:
            self._parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._depth and tag in _BLOCKS:
            self._parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag != "div" or self._depth == 0:
            if self._depth and tag in _BLOCKS:
                self._parts.append("\n")
            return
        if self._ocr_depth == self._depth:
            self._ocr_depth = 0
        self._depth -= 1
        if self._depth == 0:
            self.pages.append(_clean("".join(self._parts)))
        else:
            self._parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._depth:
            self._parts.append(data)
            if self._ocr_depth and data.strip():
                self.ocr_text = True


def _clean(text: str) -> str:
    lines = [line.strip() for line in normalize(text).replace("\x00", "").splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def _first(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    return str(value) if value is not None else None


class TikaExtractor:
    """The Extractor protocol on a Tika server's REST API."""

    name = "tika"

    def __init__(
        self,
        url: str,
        *,
        ocr_language: str = "vie",
        timeout_s: float = 60.0,
        max_pages: int = 2000,
        max_bytes: int = 50 * 1024 * 1024,
        connect_timeout_s: float = 5.0,
    ) -> None:
        self.url = url.rstrip("/")
        self.ocr_language = ocr_language
        self.timeout_s = timeout_s
        self.max_pages = max_pages
        self.max_bytes = max_bytes
        self._http = httpx.Client(
            base_url=self.url,
            timeout=httpx.Timeout(timeout_s, connect=min(connect_timeout_s, timeout_s)),
            # Connection failures are retried at once (nothing was sent yet).
            transport=httpx.HTTPTransport(retries=1),
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> TikaExtractor:
        return cls(
            settings.tika_url,
            ocr_language=settings.tika_ocr_language,
            timeout_s=settings.extraction_timeout_s,
            max_pages=settings.max_pages,
            max_bytes=settings.max_upload_bytes,
            connect_timeout_s=settings.backend_timeout_s,
        )

    def extract(self, data: bytes, *, media_type: str = PDF_MEDIA_TYPE) -> Extraction:
        if media_type != PDF_MEDIA_TYPE:
            raise UnreadableDocument(f"cannot extract text from {media_type}")
        if not data:
            raise UnreadableDocument("the file is empty")
        if len(data) > self.max_bytes:
            raise UnreadableDocument(
                f"the file is {len(data)} bytes, more than the limit of {self.max_bytes}"
            )
        metadata = self._parse(data)
        if metadata.get("pdf:encrypted") == "true" or metadata.get("X-TIKA:encrypted") == "true":
            raise UnreadableDocument("the PDF is encrypted; an archive keeps unencrypted PDFs")
        failure = _first(metadata.get("X-TIKA:EXCEPTION:container_exception"))
        if failure is not None:
            reason = failure.splitlines()[0] if failure.strip() else "unknown error"
            raise UnreadableDocument(f"not a readable PDF: {reason}"[:300])
        if metadata.get("X-TIKA:EXCEPTION:write_limit_reached") == "true":
            raise UnreadableDocument("the PDF holds more text than an archive accepts")
        pages = _Pages()
        pages.feed(str(metadata.get("X-TIKA:content") or ""))
        pages.close()
        texts = pages.pages
        declared = _first(metadata.get("xmpTPg:NPages"))
        count = int(declared) if declared and declared.isdigit() else len(texts)
        if count == 0:
            raise UnreadableDocument("the PDF has no pages")
        if count > self.max_pages:
            raise UnreadableDocument(
                f"the PDF has {count} pages, more than the limit of {self.max_pages}"
            )
        texts = (texts + [""] * count)[:count]
        info = {
            label: value
            for key, label in _DOCINFO.items()
            if (value := _first(metadata.get(key))) is not None and len(value) < 1000
        }
        return Extraction(
            pages=count,
            page_texts=tuple(texts),
            extractor=self.name,
            pages_needing_ocr=tuple(i + 1 for i, t in enumerate(texts) if not t),
            ocr_used=pages.ocr_text,
            metadata=info,
        )

    def _parse(self, data: bytes) -> dict[str, Any]:
        headers = {
            "Accept": "application/json",
            "Content-Type": PDF_MEDIA_TYPE,
            "X-Tika-PDFOcrStrategy": "auto",
            "X-Tika-OCRLanguage": self.ocr_language,
            "X-Tika-OCRTimeoutSeconds": str(max(1, int(self.timeout_s))),
            "maxEmbeddedResources": "0",
            "writeLimit": str(self.max_pages * _CHARS_PER_PAGE),
        }
        try:
            response = self._http.put("/rmeta/html", content=data, headers=headers)
        except httpx.TimeoutException:
            raise ExtractorUnavailable(
                f"Tika at {self.url} did not finish within {self.timeout_s:g} s"
            ) from None
        except httpx.HTTPError as exc:
            raise ExtractorUnavailable(f"Tika at {self.url} cannot be reached: {exc}") from None
        if response.status_code == 422 or response.status_code == 415:
            raise UnreadableDocument(f"Tika cannot read the file (HTTP {response.status_code})")
        if response.status_code != 200:
            raise ExtractorUnavailable(f"Tika at {self.url} answered HTTP {response.status_code}")
        try:
            documents = response.json()
        except ValueError:
            raise ExtractorUnavailable(f"Tika at {self.url} answered with bad JSON") from None
        if not isinstance(documents, list) or not documents or not isinstance(documents[0], dict):
            raise ExtractorUnavailable(f"Tika at {self.url} answered with no document")
        # The first entry is the file itself; later ones would be attachments.
        return documents[0]

    def check(self) -> None:
        try:
            response = self._http.get("/version", timeout=min(self.timeout_s, 5.0))
        except httpx.HTTPError as exc:
            raise ExtractorUnavailable(f"Tika at {self.url} cannot be reached: {exc}") from None
        if response.status_code != 200:
            raise ExtractorUnavailable(f"Tika at {self.url} answered HTTP {response.status_code}")

    def close(self) -> None:
        self._http.close()
