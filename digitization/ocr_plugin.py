"""An OCRmyPDF plugin that keeps what Tesseract saw: every word with its confidence and its
box, per page, as JSON beside the output file (OCRmyPDF itself keeps only the text layer).

It runs inside the `ocrmypdf` process that kho.digitization.ocr starts, and in its workers;
it reads no environment and changes nothing in the PDF.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ocrmypdf import hookimpl
from ocrmypdf.builtin_plugins.tesseract_ocr import TesseractOcrEngine
from ocrmypdf.hocrtransform.hocr_parser import HocrParser

from kho.digitization.ocr import WORDS_SUFFIX

__all__ = ["get_ocr_engine", "validate"]

_PAGE = re.compile(r"^(\d+)")


def _words_dir(options: Any) -> Path:
    return Path(str(options.output_file) + WORDS_SUFFIX)


def _page_number(path: Path) -> int:
    match = _PAGE.match(path.name)
    return int(match.group(1)) if match else 0


def _dump(hocr: Path, folder: Path) -> None:
    page = HocrParser(hocr).parse()
    lines = []
    for line in page.lines:
        words = []
        for word in line.words:
            if not word.text.strip() or word.bbox is None:
                continue
            box = word.bbox
            words.append(
                [word.text, word.confidence or 0.0, box.left, box.top, box.right, box.bottom]
            )
        if words:
            lines.append(words)
    page_box = page.bbox
    record = {
        "page": _page_number(hocr),
        "width": page_box.right if page_box else 0,
        "height": page_box.bottom if page_box else 0,
        "lines": lines,
    }
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{record['page']:06d}.json"
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    tmp.replace(target)


class _RecordingTesseract(TesseractOcrEngine):
    @staticmethod
    def generate_hocr(input_file: Path, output_hocr: Path, output_text: Path, options: Any) -> None:
        TesseractOcrEngine.generate_hocr(  # type: ignore[no-untyped-call]
            input_file, output_hocr, output_text, options
        )
        _dump(Path(output_hocr), _words_dir(options))


@hookimpl
def get_ocr_engine(options: Any) -> TesseractOcrEngine:
    return _RecordingTesseract()


@hookimpl(trylast=True)
def validate(pdfinfo: Any, options: Any) -> None:
    # One Tesseract thread per page: several times faster on small machines, and Kho
    # parallelises over results itself (`kho digitize --jobs`).
    options.tesseract.omp_thread_limit = 1
