"""What can go wrong in the indexer: an unreachable engine, an unreadable document."""

from __future__ import annotations

from kho.errors import KhoError, Unavailable
from kho.errors import UnreadableDocument as UnreadableDocument

__all__ = [
    "ExtractionFailed",
    "ExtractorUnavailable",
    "IndexUnavailable",
    "IndexerError",
    "UnreadableDocument",
]


class IndexerError(KhoError):
    """Base of the indexer layer's errors. An unreadable file is the kernel's
    UnreadableDocument (re-exported here), since signature validation finds it too."""


class IndexUnavailable(IndexerError, Unavailable):
    title = "Search index unavailable"


class ExtractorUnavailable(IndexerError, Unavailable):
    title = "Text extraction unavailable"


class ExtractionFailed(IndexerError, UnreadableDocument):
    title = "Text could not be extracted"
