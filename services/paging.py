"""One page of a list answer, and the paging rules every list shares (CONTRACT.md "Lists")."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kho.services.errors import InvalidQuery

__all__ = ["MAX_PAGE_SIZE", "Page", "check_paging"]

MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    total: int
    page: int
    page_size: int
    facets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # A search's: "eq" if `total` is every match, "gte" if it is a lower bound (searches
    # count up to indexer.index.COUNT_BOUND matches).
    total_relation: str = "eq"


def check_paging(page: int, page_size: int) -> None:
    if page < 1:
        raise InvalidQuery("page starts at 1", field="page")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidQuery(f"page_size must be between 1 and {MAX_PAGE_SIZE}", field="page_size")
    if page * page_size > 100_000:
        raise InvalidQuery("pages beyond the first 100,000 results are not served", field="page")
