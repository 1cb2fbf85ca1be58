"""What can go wrong in the indexer: an unreachable engine, an unreadable document."""

from __future__ import annotations

from kho.errors import KhoError

__all__ = [
    "ExtractionFailed",
    "ExtractorUnavailable",
    "IndexUnavailable",
    "IndexerError",
    "UnreadableDocument",
]


class IndexerError(KhoError):
    pass


class IndexUnavailable(IndexerError):
    problem_type = "backend-unavailable"
    title = "Search index unavailable"


class ExtractorUnavailable(IndexerError):
    problem_type = "backend-unavailable"
    title = "Text extraction unavailable"


class UnreadableDocument(IndexerError):
    """The file is not a readable PDF (malformed, truncated, encrypted, over a limit)."""

    problem_type = "unreadable-file"
    title = "Unreadable file"


class ExtractionFailed(IndexerError):
    problem_type = "unreadable-file"
    title = "Text could not be extracted"
