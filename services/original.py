"""The file a deposit hands in: refused when empty or over KHO_MAX_UPLOAD_MB, hashed once
(its SHA-256 is its name in the store, its ETag, and what the report and the claims say),
and a PDF by its content, not by its name."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from kho.indexer.extract import sniff_media_type
from kho.services.errors import PayloadTooLarge, UnsupportedMediaType

__all__ = ["Original", "safe_filename"]


def safe_filename(name: str | None) -> str:
    """The name a file is kept and served under: its last path part, printable, at most
    200 characters (`result.pdf` when nothing is left)."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = "".join(c for c in name if c.isprintable())[:200]
    return name or "result.pdf"


@dataclass(frozen=True)
class Original:
    data: bytes = field(repr=False)
    sha256: str
    filename: str

    @property
    def size(self) -> int:
        return len(self.data)

    @classmethod
    def read(cls, data: bytes, filename: str | None, *, max_bytes: int, max_mb: int) -> Original:
        """The file, if it is within the limit and not empty; hashed here, once."""
        if len(data) > max_bytes:
            raise PayloadTooLarge(f"the file is {len(data)} bytes; the limit is {max_mb} MB")
        if not data:
            raise UnsupportedMediaType("the file is empty")
        return cls(data, hashlib.sha256(data).hexdigest(), safe_filename(filename))

    def media_type(self) -> str:
        """The file's media type judged by its bytes; UnsupportedMediaType unless a PDF."""
        media_type = sniff_media_type(self.data[:1024])
        if media_type is None:
            raise UnsupportedMediaType("the file is not a PDF (judged by its content)")
        return media_type
