"""The embedded engine's filter tokens (the FTS5 column `tags`): an index made before they
existed gets them on opening, filled from its records, and answers filtered searches."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

from contract.test_search_index import D, doc

from kho.indexer.engines.embedded import EmbeddedSearchIndex
from kho.indexer.index import SearchQuery


def fts_columns(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        return [row[1] for row in conn.execute("PRAGMA table_info(fts)")]


def test_an_index_made_before_the_tags_gets_them_and_still_finds_everything(
    tmp_path: Path,
) -> None:
    path = tmp_path / "index.sqlite"
    first = EmbeddedSearchIndex(path)
    birth = doc(text="chung nhan", issued_on=date(2021, 3, 1))
    record = doc(text="chung nhan", result_type="Phiếu lý lịch tư pháp", issued_on=date(2022, 5, 2))
    first.upsert([birth, record])
    first.close()
    with sqlite3.connect(path) as conn:  # the FTS5 table as it was made before `tags`
        conn.execute(
            "CREATE VIRTUAL TABLE old USING fts5(meta, body, meta_folded, body_folded, "
            "tokenize = 'unicode61 remove_diacritics 0')"
        )
        conn.execute(
            "INSERT INTO old (rowid, meta, body, meta_folded, body_folded) "
            "SELECT rowid, meta, body, meta_folded, body_folded FROM fts"
        )
        conn.execute("DROP TABLE fts")
        conn.execute("ALTER TABLE old RENAME TO fts")
    assert "tags" not in fts_columns(path)

    again = EmbeddedSearchIndex(path)
    try:
        assert fts_columns(path)[-1] == "tags"
        assert again.count() == 2
        found = again.search(
            SearchQuery(
                today=D,
                q="chung nhan",
                result_type="Phiếu lý lịch tư pháp",
                issued_from=date(2022, 1, 1),
                issued_to=date(2022, 12, 31),
            )
        )
        assert [hit.record_id for hit in found.hits] == [record.record_id]
        assert {hit.record_id for hit in again.search(SearchQuery(today=D, q="nhan")).hits} == {
            birth.record_id,
            record.record_id,
        }
    finally:
        again.close()
