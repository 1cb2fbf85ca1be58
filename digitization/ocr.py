"""OCR in Vietnamese into a searchable PDF/A-2b that keeps the page images: OCRmyPDF with
Tesseract's `vie` model, pages deskewed and turned upright, with per-page confidence.

OCRmyPDF runs as a child process (`python -m ocrmypdf`), so that a time limit can end it
and everything it started, and a crash in it cannot take the caller down. Our plugin
(ocr_plugin.py) keeps Tesseract's words, confidences and boxes, from which the per-page
confidence and the proposals' positions come.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from kho.digitization.errors import OcrFailed, OcrUnavailable, ScanRejected

__all__ = [
    "WORDS_SUFFIX",
    "OcrOptions",
    "OcrPage",
    "OcrResult",
    "Word",
    "check_ocr_available",
    "run_ocr",
]

# Where the plugin leaves the words of `<output>.pdf`: in `<output>.pdf.words/`.
WORDS_SUFFIX: Final = ".words"
_PLUGIN: Final = "kho.digitization.ocr_plugin"
# OCRmyPDF's exit codes (ocrmypdf.ExitCode) that say something about the input.
_INPUT_ERRORS: Final = {
    2: "the input is not a readable PDF or image",
    6: "the PDF already has a text layer (born digital, or OCR'd before): give its scans",
    8: "the PDF is encrypted",
}


@dataclass(frozen=True)
class Word:
    text: str
    confidence: float  # 0..1, Tesseract's
    box: tuple[float, float, float, float]  # left, top, right, bottom as fractions of the page


@dataclass(frozen=True)
class OcrPage:
    number: int
    lines: tuple[tuple[Word, ...], ...]

    @property
    def words(self) -> tuple[Word, ...]:
        return tuple(w for line in self.lines for w in line)

    @property
    def text(self) -> str:
        return "\n".join(" ".join(w.text for w in line) for line in self.lines)

    @property
    def chars(self) -> int:
        return sum(len(w.text) for w in self.words)

    @property
    def confidence(self) -> float:
        """Tesseract's word confidences weighted by word length; 0 for a page without text."""
        words = self.words
        total = sum(len(w.text) for w in words)
        if total == 0:
            return 0.0
        return round(sum(w.confidence * len(w.text) for w in words) / total, 4)


@dataclass(frozen=True)
class OcrResult:
    pdf: bytes  # PDF/A-2b with a text layer over the page images
    pages: tuple[OcrPage, ...]

    @property
    def confidence(self) -> float:
        """The document's confidence: the pages' confidences weighted by their text."""
        total = sum(p.chars for p in self.pages)
        if total == 0:
            return 0.0
        return round(sum(p.confidence * p.chars for p in self.pages) / total, 4)

    @property
    def page_texts(self) -> tuple[str, ...]:
        return tuple(p.text for p in self.pages)


@dataclass(frozen=True)
class OcrOptions:
    language: str = "vie"
    page_timeout_s: float = 120.0
    timeout_s: float = 1800.0
    jobs: int = 1
    max_page_mpixels: float = 80.0


def check_ocr_available(language: str) -> None:
    """OcrUnavailable naming what to install, unless Tesseract with `language` is there."""
    tesseract = shutil.which("tesseract")
    if tesseract is None:
        raise OcrUnavailable(
            "Tesseract is not installed: apt-get install tesseract-ocr tesseract-ocr-vie"
        )
    try:
        done = subprocess.run(
            [tesseract, "--list-langs"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise OcrUnavailable(f"Tesseract does not run: {exc}") from None
    available = {line.strip() for line in done.stdout.splitlines()[1:]}
    missing = [lang for lang in language.split("+") if lang not in available]
    if missing:
        raise OcrUnavailable(
            f"Tesseract has no model for {', '.join(missing)}: apt-get install "
            + " ".join(f"tesseract-ocr-{m}" for m in missing)
        )


def _command(source: Path, target: Path, options: OcrOptions) -> list[str]:
    return [
        sys.executable,
        "-m",
        "ocrmypdf",
        "--plugin",
        _PLUGIN,
        "--language",
        options.language,
        "--output-type",
        "pdfa-2",
        "--deskew",
        "--rotate-pages",
        "--tesseract-timeout",
        str(int(options.page_timeout_s)),
        "--max-image-mpixels",
        str(options.max_page_mpixels * 2),
        "--jobs",
        str(max(1, options.jobs)),
        "--quiet",
        str(source),
        str(target),
    ]


def _read_pages(folder: Path, count: int) -> tuple[OcrPage, ...]:
    pages: list[OcrPage] = []
    for number in range(1, count + 1):
        path = folder / f"{number:06d}.json"
        if not path.is_file():  # Tesseract gave up on this page (time limit): no text
            pages.append(OcrPage(number, ()))
            continue
        record = json.loads(path.read_text(encoding="utf-8"))
        width = float(record.get("width") or 1.0)
        height = float(record.get("height") or 1.0)
        lines = tuple(
            tuple(
                Word(
                    text=str(text),
                    confidence=max(0.0, min(1.0, float(conf))),
                    box=(
                        round(left / width, 4),
                        round(top / height, 4),
                        round(right / width, 4),
                        round(bottom / height, 4),
                    ),
                )
                for text, conf, left, top, right, bottom in line
            )
            for line in record.get("lines", [])
        )
        pages.append(OcrPage(number, lines))
    return tuple(pages)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:300] if lines else "no message"


def run_ocr(image_pdf: bytes, page_count: int, options: OcrOptions) -> OcrResult:
    """OCR a PDF of page images into a searchable PDF/A-2b (OcrFailed past the time limit
    or when OCRmyPDF gives up; OcrUnavailable when it or Tesseract is missing)."""
    with tempfile.TemporaryDirectory(prefix="kho-ocr-") as tmp:
        folder = Path(tmp)
        source, target = folder / "scan.pdf", folder / "ocr.pdf"
        source.write_bytes(image_pdf)
        try:
            process = subprocess.Popen(
                _command(source, target, options),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=folder,
                start_new_session=True,  # its own group: a time limit ends all it started
            )
        except OSError as exc:
            raise OcrUnavailable(f"OCRmyPDF cannot be started: {exc}") from None
        try:
            _out, err = process.communicate(timeout=options.timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise OcrFailed(
                f"OCR took longer than {options.timeout_s:.0f} s (KHO_OCR_TIMEOUT_S)"
            ) from None
        except BaseException:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise
        message = err.decode("utf-8", "replace")
        if process.returncode == 3:
            raise OcrUnavailable(f"OCRmyPDF lacks a program it needs: {_last_line(message)}")
        if process.returncode in _INPUT_ERRORS:
            raise ScanRejected(f"{_INPUT_ERRORS[process.returncode]}: {_last_line(message)}")
        if process.returncode != 0 or not target.is_file():
            raise OcrFailed(f"OCRmyPDF failed (exit {process.returncode}): {_last_line(message)}")
        pages = _read_pages(Path(str(target) + WORDS_SUFFIX), page_count)
        return OcrResult(target.read_bytes(), pages)
