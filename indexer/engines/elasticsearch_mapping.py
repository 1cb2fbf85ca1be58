"""How the Elasticsearch engine lays a record out: the mapping (its filter fields derived
from the record model, indexer/index.py FILTER_FIELDS), the index settings, and the
document source written for a record and read back from a hit."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from kho.archive.model import Indexed
from kho.archive.status import Validity
from kho.indexer.folding import fold, words
from kho.indexer.index import FILTER_FIELDS, IndexDocument

__all__ = [
    "ES_TYPES",
    "HIT_SOURCE",
    "SETTINGS",
    "mappings",
    "properties",
    "restored",
    "source_of",
    "validity_of_source",
]

TEXT = {"type": "text", "analyzer": "standard", "index_options": "freqs"}
KEYWORD = {"type": "keyword"}
DAY = {"type": "date", "format": "strict_date"}
INSTANT = {"type": "date", "format": "strict_date_optional_time"}
SEARCHABLE = ("meta", "body", "meta_folded", "body_folded")

# The mapping of each kind of filter field (indexer/index.py FILTER_FIELDS).
ES_TYPES: dict[Indexed, dict[str, Any]] = {
    Indexed.keyword: KEYWORD,
    Indexed.day: DAY,
    Indexed.instant: INSTANT,
    Indexed.flag: {"type": "boolean"},
    Indexed.number: {"type": "long"},
}


def properties() -> dict[str, Any]:
    return {
        # The filter fields, derived from the record model.
        **{name: ES_TYPES[spec.kind] for name, spec in FILTER_FIELDS.items()},
        "subject_ids": KEYWORD,
        "indexed_at": INSTANT,
        "meta": TEXT,
        "body": TEXT,
        "meta_folded": TEXT,
        "body_folded": TEXT,
        # The record's JSON view, the original text and the metadata text: stored,
        # returned with hits, never indexed.
        "view": {"type": "object", "enabled": False},
    }


def mappings(prefix: str) -> dict[str, Any]:
    return {
        "dynamic": "strict",
        "_meta": {"kho_prefix": prefix, "schema": 1},
        # The searchable fields are derived from `view` (see searchable); not storing them
        # twice keeps the index about half the size.
        "_source": {"excludes": list(SEARCHABLE)},
        "properties": properties(),
    }


SETTINGS: dict[str, Any] = {
    "number_of_shards": 1,
    # A replica wherever a second node exists; a single node stays green.
    "auto_expand_replicas": "0-1",
    # A deposit waits for the next refresh (`refresh=wait_for`) so that it is searchable once
    # acknowledged: at ES's default of 1 s one client deposits once a second; at 200 ms
    # about five times as fast, while concurrent deposits still share one refresh (bounded
    # cost, unlike `refresh=true`). Explicit, so a shard never goes search-idle.
    "refresh_interval": "200ms",
    # The services serve up to page * page_size = 100,000.
    "max_result_window": 100_000,
}

HIT_SOURCE = [
    "record_id",
    "valid_from",
    "valid_until",
    "revoked_on",
    "superseded_on",
    "disposed",
    "indication",
    "view.record",
]

def day_of(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def searchable(meta: str, text: str) -> dict[str, str]:
    """The indexed text: words as written and folded, cut by the same `\\w+` rule as the
    query (so codes like "1.001193" split identically in both engines)."""
    meta_words = " ".join(words(meta))
    body_words = " ".join(words(text))
    return {
        "meta": meta_words,
        "body": body_words,
        "meta_folded": fold(meta_words),
        "body_folded": fold(body_words),
    }


def source_of(doc: IndexDocument, indexed_at: datetime) -> dict[str, Any]:
    meta = doc.meta_text()
    # The same JSON round trip as the embedded engine, so hits carry the same values.
    record = json.loads(json.dumps(doc.record, ensure_ascii=False, default=str))
    return {
        **doc.filter_fields(),
        "subject_ids": list(doc.subject_ids),
        "indexed_at": indexed_at.isoformat(),
        "view": {"record": record, "text": doc.text, "meta": meta},
        **searchable(meta, doc.text),
    }


def restored(source: Mapping[str, Any]) -> dict[str, Any]:
    """A stored document made whole again (its searchable fields are not in _source)."""
    view = source.get("view") or {}
    return {
        **source,
        **searchable(str(view.get("meta", "")), str(view.get("text", ""))),
    }


def validity_of_source(source: Mapping[str, Any]) -> Validity:
    return Validity(
        valid_from=date.fromisoformat(source["valid_from"]),
        valid_until=day_of(source.get("valid_until")),
        revoked_on=day_of(source.get("revoked_on")),
        superseded_on=day_of(source.get("superseded_on")),
        disposed=bool(source.get("disposed")),
    )
