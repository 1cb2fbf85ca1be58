"""What a proposal is: each deposit-metadata field proposed with its confidence and where
on the page it was read, and the review entries an officer looks at (CONTRACT.md's
`{"page", "field", "reason"}`); with the text folding both the proposals and the QR code
reader compare by.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Box", "FieldProposal", "Proposal", "ReviewEntry", "fold", "sentence_case", "title_case"]

Box = tuple[float, float, float, float]


def fold(text: str) -> str:
    """Lower case without diacritics, đ→d, one character for one (offsets survive)."""
    out = []
    for char in unicodedata.normalize("NFC", text):
        if char in "đĐ":
            out.append("d")
            continue
        base = "".join(
            c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c)
        )
        out.append(base.lower() if len(base) == 1 else char.lower()[:1] or char)
    return "".join(out)


def title_case(name: str) -> str:
    """NGUYỄN THỊ HỒNG NHUNG → Nguyễn Thị Hồng Nhung (NFC, diacritics kept)."""
    words = unicodedata.normalize("NFC", name).split()
    return " ".join(w[:1].upper() + w[1:].lower() for w in words)


def sentence_case(title: str) -> str:
    text = unicodedata.normalize("NFC", " ".join(title.split())).lower()
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class FieldProposal:
    value: Any
    confidence: float
    page: int | None = None
    box: Box | None = None
    source: str = "ocr"  # "ocr" | "qr"

    def to_json(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "confidence": round(self.confidence, 3),
            "page": self.page,
            "box": list(self.box) if self.box else None,
            "source": self.source,
        }


@dataclass(frozen=True)
class ReviewEntry:
    """CONTRACT.md: `{"page": n|null, "field": name|null, "reason": text}`."""

    page: int | None
    field: str | None
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"page": self.page, "field": self.field, "reason": self.reason}


@dataclass
class Proposal:
    fields: dict[str, FieldProposal] = field(default_factory=dict)
    review: list[ReviewEntry] = field(default_factory=list)

    def values(self) -> dict[str, Any]:
        return {name: p.value for name, p in self.fields.items()}

    def to_json(self) -> dict[str, Any]:
        return {
            "fields": {name: p.to_json() for name, p in self.fields.items()},
            "review": [r.to_json() for r in self.review],
        }
