"""Each engine's schema is the record model's: every filter field (indexer/index.py
FILTER_FIELDS, derived from archive/model.py) is a column of the embedded index and a
property of the Elasticsearch mapping, of its kind; and an index made before a new field
existed takes it without a migration."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from ulid import ULID

from kho.archive.model import Indexed, IndexedField
from kho.archive.status import Validity
from kho.indexer.engines.elasticsearch import ElasticsearchIndex
from kho.indexer.engines.embedded import EmbeddedSearchIndex
from kho.indexer.index import FILTER_FIELDS, IndexDocument, SearchIndex
from kho.settings import Settings
from kho.wiring import build_index

# How each engine keeps a kind of field, spelled as the engine reports it.
SQLITE = {
    "keyword": "TEXT",
    "day": "TEXT",
    "instant": "TEXT",
    "flag": "INTEGER",
    "number": "INTEGER",
}
ELASTIC = {
    "keyword": "keyword",
    "day": "date",
    "instant": "date",
    "flag": "boolean",
    "number": "long",
}


def engine_fields(index: SearchIndex) -> dict[str, str]:
    """The filter fields the engine actually holds, with its own type names."""
    if isinstance(index, EmbeddedSearchIndex):
        with sqlite3.connect(index.path) as conn:
            return {row[1]: row[2] for row in conn.execute("PRAGMA table_info(docs)")}
    assert isinstance(index, ElasticsearchIndex)
    client = Elasticsearch(index.url)
    try:
        mappings = client.indices.get_mapping(index=index.alias).body
    finally:
        client.close()
    ((_name, mapping),) = mappings.items()
    return {k: v.get("type", "object") for k, v in mapping["mappings"]["properties"].items()}


def expected(spec: IndexedField, index: SearchIndex) -> str:
    table = SQLITE if isinstance(index, EmbeddedSearchIndex) else ELASTIC
    return table[spec.kind.value]


@pytest.fixture
def index(settings: Settings) -> Iterator[SearchIndex]:
    built = build_index(settings)
    try:
        yield built
    finally:
        built.close()


def document(**facts: Any) -> IndexDocument:
    rid = str(ULID())
    return IndexDocument(
        record_id=rid,
        version=1,
        issuer_code="000.00.15.H62",
        result_code=f"000.00.15.H62-{rid[-6:]}",
        dossier_code=None,
        procedure_code="1.001193",
        procedure_name="Thủ tục đăng ký khai sinh",
        result_type="Giấy khai sinh",
        subject_ids=("001203001234",),
        subject_names=("Trần Văn Đức",),
        issued_on=date(2026, 1, 10),
        validity=Validity(valid_from=date(2026, 1, 10), valid_until=None),
        indication="TOTAL-PASSED",
        deposited_at=datetime(2026, 1, 11, tzinfo=UTC),
        text="",
        record={"record_id": rid},
        facts=facts,
    )


def test_every_filter_field_is_in_the_engine_with_its_kind(index: SearchIndex) -> None:
    index.upsert([document()])  # Elasticsearch makes its index on first use
    held = engine_fields(index)
    wrong = {
        name: held.get(name)
        for name, spec in FILTER_FIELDS.items()
        if held.get(name) != expected(spec, index)
    }
    assert not wrong


def test_a_new_filter_field_reaches_an_existing_index(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = build_index(settings)
    try:
        first.upsert([document()])
    finally:
        first.close()
    spec = IndexedField(Indexed.keyword, optional=True)
    monkeypatch.setitem(FILTER_FIELDS, "procedure_level", spec)
    again = build_index(settings)
    try:
        assert again.count() == 1  # Elasticsearch looks at its index on first use
        assert engine_fields(again).get("procedure_level") == expected(spec, again)
        newer = document(procedure_level="commune")
        again.upsert([newer, replace(document(), record_id=str(ULID()))])
        assert again.get(newer.record_id) is not None
        assert again.count() == 3
    finally:
        again.close()
