"""Extraction where a hostile PDF cannot starve the server: worker processes with bounds
on decompressed bytes, memory and time.

A PDF of a few kilobytes can inflate to hundreds of megabytes of content operators, which
pure-Python parsing turns into seconds of CPU and gigabytes of memory. Three bounds hold
inside the work, not only between pages:
- bytes: every stream pypdf decodes is counted against one budget per file —
  `KHO_MAX_EXTRACT_MB`, and no more than `KHO_MAX_INFLATE_RATIO` times the file's size
  (never less than 4 MB) — and the decoders themselves are capped at what is left of it,
  so a 70 MB stream is cut off at the budget instead of being inflated first;
- memory: the worker's address space is capped (`KHO_EXTRACT_MEMORY_MB`, RLIMIT_AS);
- time: the caller waits `KHO_EXTRACTION_TIMEOUT_S`, then the worker is killed and
  replaced (pebble's process pool does both).
The workers (`KHO_EXTRACT_WORKERS`) are the process's shared pool (kho/pools.py), where
signature validation runs too.

With Tika doing the extraction, the same worker first inflates the file's content streams
under the same budget, so a bomb is refused before it reaches Tika.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

from pebble import ProcessExpired

from kho.indexer.errors import ExtractionFailed, UnreadableDocument
from kho.indexer.extract import PDF_MEDIA_TYPE, Extraction, Extractor
from kho.pools import address_space_limit, run_bounded

__all__ = ["ExtractionLimit", "ExtractionLimits", "SandboxedExtractor"]

_FLOOR = 4 * 1024 * 1024


class ExtractionLimit(ExtractionFailed):
    """The file needs more decompression, memory or time than extraction allows."""

    title = "Over the extraction limits"


@dataclass(frozen=True)
class ExtractionLimits:
    max_bytes: int
    inflate_ratio: int
    memory_bytes: int
    timeout_s: float
    max_pages: int

    def budget(self, size: int) -> int:
        """Decompressed bytes allowed for a file of `size` bytes."""
        return min(self.max_bytes, max(_FLOOR, self.inflate_ratio * size))


# -- inside the worker -------------------------------------------------------------------


class _OverBudget(Exception):
    pass


def _budgeted_decoding(budget: int) -> Callable[[], bool]:
    """Count every stream pypdf decodes in this process against `budget` and cap each
    decoder at what is left; returns the function that undoes it and says whether the
    budget was exceeded (even where pypdf swallowed the refusal and carried on)."""
    import pypdf
    import pypdf.filters as filters
    from pypdf.errors import LimitReachedError

    original = filters.decode_stream_data
    used = 0
    over = False

    def decode(stream: Any) -> bytes:
        nonlocal used, over
        left = budget - used
        if left <= 0:
            over = True
            raise _OverBudget
        caps = {
            name: left
            for name in (
                "zlib_maximum_output_length",
                "lzw_maximum_output_length",
                "run_length_maximum_output_length",
                "brotli_maximum_output_length",
                "array_based_stream_maximum_output_length",
                "image_maximum_buffer_size",
            )
        }
        try:
            with pypdf.apply_configuration(None, **caps):
                data: bytes = original(stream)
        except LimitReachedError:
            over = True
            raise _OverBudget from None
        used += len(data)
        if used > budget:
            over = True
            raise _OverBudget
        return data

    filters.decode_stream_data = decode

    def undo() -> bool:
        filters.decode_stream_data = original
        return over

    return undo


def _streams(page: Any) -> Iterator[Any]:
    contents = page.get("/Contents")
    contents = contents.get_object() if contents is not None else None
    if contents is not None:
        yield from (c.get_object() for c in contents) if isinstance(contents, list) else [contents]
    resources = page.get("/Resources")
    xobjects = resources.get_object().get("/XObject") if resources is not None else None
    for ref in xobjects.get_object().values() if xobjects is not None else ():
        xobject = ref.get_object()
        if xobject.get("/Subtype") == "/Form":
            yield xobject


def _inflate(data: bytes, max_pages: int) -> None:
    """Decode the content streams a text extractor would read (Tika's stack)."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted:
        return  # the extractor reports it
    for number, page in enumerate(reader.pages):
        if number >= max_pages:
            return
        for stream in _streams(page):
            stream.get_data()


def _work(data: bytes, limits: ExtractionLimits, mode: str) -> Extraction | None:
    with address_space_limit(limits.memory_bytes):
        return _bounded_work(data, limits, mode)


def _bounded_work(data: bytes, limits: ExtractionLimits, mode: str) -> Extraction | None:
    undo = _budgeted_decoding(limits.budget(len(data)))
    try:
        result: Extraction | None = None
        if mode == "inspect":
            try:
                _inflate(data, limits.max_pages)
            except _OverBudget:
                raise
            except Exception:  # noqa: S110 - unreadable files are the extractor's to judge
                pass
        else:
            from kho.indexer.extractors.embedded import EmbeddedExtractor

            extractor = EmbeddedExtractor(max_pages=limits.max_pages, timeout_s=limits.timeout_s)
            try:
                result = extractor.extract(data, media_type=PDF_MEDIA_TYPE)
            except UnreadableDocument:
                if not undo():
                    raise
                raise _OverBudget from None
        if undo():
            raise _OverBudget
        return result
    except _OverBudget:
        raise ExtractionLimit(_too_much(limits, len(data))) from None
    except MemoryError:
        raise ExtractionLimit(
            f"extracting the text needs more than {limits.memory_bytes // 2**20} MB of memory "
            "(KHO_EXTRACT_MEMORY_MB)"
        ) from None
    finally:
        undo()


def _too_much(limits: ExtractionLimits, size: int) -> str:
    return (
        f"the PDF's content inflates to more than {limits.budget(size) // 2**20} MB "
        f"({size} bytes in the file; the limits are {limits.inflate_ratio}x the file's size "
        f"and {limits.max_bytes // 2**20} MB, KHO_MAX_INFLATE_RATIO and KHO_MAX_EXTRACT_MB): "
        "a decompression bomb, or a file too large to extract"
    )


# -- in the server -----------------------------------------------------------------------


class SandboxedExtractor:
    """The Extractor protocol with the work in bounded worker processes: the embedded
    extraction itself, or (with `inner`, e.g. Tika) an inflation check before it."""

    def __init__(
        self, limits: ExtractionLimits, *, workers: int = 2, inner: Extractor | None = None
    ) -> None:
        self.limits = limits
        self.workers = workers
        self.inner = inner
        self.name = inner.name if inner is not None else "embedded"

    def _run(self, data: bytes, mode: str) -> Extraction | None:
        try:
            result: Extraction | None = run_bounded(
                self.workers, _work, (data, self.limits, mode),
                timeout=self.limits.timeout_s, memory_bytes=self.limits.memory_bytes,
            )  # fmt: skip
        except FutureTimeout:
            raise ExtractionLimit(
                f"text extraction took longer than {self.limits.timeout_s:g} s "
                "(KHO_EXTRACTION_TIMEOUT_S)"
            ) from None
        except ProcessExpired:
            raise ExtractionLimit(
                "text extraction was stopped: the file made the worker exceed its memory "
                f"({self.limits.memory_bytes // 2**20} MB, KHO_EXTRACT_MEMORY_MB)"
            ) from None
        return result

    def extract(self, data: bytes, *, media_type: str = PDF_MEDIA_TYPE) -> Extraction:
        if media_type != PDF_MEDIA_TYPE:
            raise UnreadableDocument(f"cannot extract text from {media_type}")
        if self.inner is not None:
            self._run(data, "inspect")
            return self.inner.extract(data, media_type=media_type)
        result = self._run(data, "extract")
        assert result is not None
        return result

    def check(self) -> None:
        if self.inner is not None:
            self.inner.check()

    def close(self) -> None:
        if self.inner is not None:
            self.inner.close()
