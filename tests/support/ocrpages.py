"""OCR'd pages written by hand, for the proposal tests (no Tesseract needed)."""

from __future__ import annotations

from kho.digitization.ocr import OcrPage, Word


def page(*lines: str, number: int = 1, conf: float = 0.95, low: str = "") -> OcrPage:
    """An OCR'd page: each line's words side by side; words in `low` read at 0.4."""
    built = []
    for row, text in enumerate(lines):
        words, x = [], 0.05
        for token in text.split():
            width = 0.012 * len(token)
            box = (round(x, 4), 0.05 + row * 0.03, round(x + width, 4), 0.07 + row * 0.03)
            words.append(Word(token, 0.4 if token in low.split() else conf, box))
            x += width + 0.01
        built.append(tuple(words))
    return OcrPage(number, tuple(built))
