"""The embedded search engine: SQLite with FTS5, in one file under KHO_DATA_DIR.

Why SQLite rather than an embedded Lucene-like library (tantivy): it ships with Python, its
transactions make every index write all-or-nothing, several processes may read and write
one index safely (WAL; a writer waits on a busy lock instead of failing), and a rebuild is
one transaction that readers do not see until it commits. FTS5 gives BM25 ranking; the
Vietnamese folding is done in Python (indexer/folding.py) into parallel columns, as for
Elasticsearch, so both engines match the same way.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date
from operator import itemgetter
from pathlib import Path
from typing import Any

from kho.archive.model import Indexed
from kho.archive.reuse import PASSED, SignaturePolicy
from kho.archive.status import Validity
from kho.indexer.engines.sqlite import SqliteFile
from kho.indexer.folding import fold, words
from kho.indexer.highlight import hit_highlights, query_terms
from kho.indexer.index import (
    COUNT_BOUND,
    FACET_FIELDS,
    FILTER_FIELDS,
    Hit,
    IndexDocument,
    LookupQuery,
    ResultPage,
    SearchQuery,
)

__all__ = ["EmbeddedSearchIndex"]

# The column type of each kind of filter field (indexer/index.py FILTER_FIELDS): days and
# instants as ISO text, which sorts and compares in time order.
SQL_TYPES = {
    Indexed.keyword: "TEXT",
    Indexed.day: "TEXT",
    Indexed.instant: "TEXT",
    Indexed.flag: "INTEGER",
    Indexed.number: "INTEGER",
}


def _column(name: str) -> str:
    spec = FILTER_FIELDS[name]
    column = f"{name} {SQL_TYPES[spec.kind]}"
    if not spec.optional:
        column += " NOT NULL"
    return column + (" UNIQUE" if name == "record_id" else "")


# One row per record: its filter fields (derived from the record model) and its view.
_DOCS = ",\n    ".join(
    ["rid INTEGER PRIMARY KEY", *map(_column, FILTER_FIELDS), "record TEXT NOT NULL"]
)

# What a search reads of each candidate (its order, its filters, its facets, its status),
# in two covering indexes: by row (the candidates of words) and by issue day (those of
# filters alone), so a candidate costs an index entry, not a row with its record view.
_CANDIDATE = (
    "issued_on, record_id, result_type, procedure_code, issuer_code, indication, "
    "valid_from, valid_until, revoked_on, superseded_on, disposed"
)
_RECENT = _CANDIDATE.replace("issued_on", "issued_on DESC", 1)
_CANDIDATE_INDEXES = f"""CREATE INDEX IF NOT EXISTS docs_candidates ON docs (rid, {_CANDIDATE});
CREATE INDEX IF NOT EXISTS docs_recent ON docs ({_RECENT});"""

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS docs (
    {_DOCS}
);
CREATE TABLE IF NOT EXISTS subjects (
    subject_id TEXT NOT NULL,
    rid INTEGER NOT NULL,
    PRIMARY KEY (subject_id, rid)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS subjects_rid ON subjects (rid);
CREATE INDEX IF NOT EXISTS docs_issued ON docs (issued_on DESC, record_id);
CREATE INDEX IF NOT EXISTS docs_procedure ON docs (procedure_code);
CREATE INDEX IF NOT EXISTS docs_result_type ON docs (result_type);
CREATE INDEX IF NOT EXISTS docs_issuer ON docs (issuer_code);
{_CANDIDATE_INDEXES}
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(
    meta, body, meta_folded, body_folded, tags,
    tokenize = 'unicode61 remove_diacritics 0'
);
"""


def _missing_columns(conn: sqlite3.Connection) -> list[str]:
    have = {row[1] for row in conn.execute("PRAGMA table_info(docs)")}
    return [name for name in FILTER_FIELDS if name not in have]


# A record's filter values as tokens of an FTS5 column of their own (`tags`), so that a
# search's words and its filters meet where FTS5 intersects postings, as Elasticsearch
# does: a common word with a filter it rarely matches no longer reads every posting of
# the word to test each record's filters. The SQL filters still decide (tags only narrow).
_TAGGED = ("result_type", "procedure_code", "issuer_code")
# An issue-day range spanning up to this many calendar years is also matched by year tokens
# (measured at 1 M: an OR over ten years' postings costs more than it saves).
_TAGGED_YEARS = 2


def _tag(name: str, value: object) -> str:
    """One filter value as one token: letters and digits only, so unicode61 keeps it whole."""
    return "t" + hashlib.blake2s(f"{name}={value}".encode(), digest_size=8).hexdigest()


def _tags(
    result_type: object, procedure_code: object, issuer_code: object, issued_on: object
) -> str:
    values = dict(zip(_TAGGED, (result_type, procedure_code, issuer_code), strict=True))
    tokens = [_tag(name, value) for name, value in values.items() if value is not None]
    if issued_on:
        tokens.append(_tag("year", str(issued_on)[:4]))
    return " ".join(tokens)


def _tags_match(query: SearchQuery) -> str:
    """The FTS5 expression the filters of `query` imply on `tags` ('' if none)."""
    parts = [
        f"tags : {_tag(name, getattr(query, name))}"
        for name in _TAGGED
        if getattr(query, name) is not None
    ]
    if query.issued_from is not None:
        last = (query.issued_to or query.today).year
        years = range(query.issued_from.year, last + 1)
        if 0 < len(years) <= _TAGGED_YEARS:
            parts.append("tags : (" + " OR ".join(_tag("year", y) for y in years) + ")")
    return " AND ".join(parts)


def _add_tags(conn: sqlite3.Connection) -> None:
    """An index made before `tags` existed: its FTS5 table made again with the column,
    filled from the records' filter fields (one transaction, once)."""
    conn.create_function("kho_tags", 4, _tags, deterministic=True)
    conn.execute("DROP TABLE IF EXISTS fts_tagged")
    conn.execute(
        "CREATE VIRTUAL TABLE fts_tagged USING fts5(meta, body, meta_folded, body_folded, tags, "
        "tokenize = 'unicode61 remove_diacritics 0')"
    )
    conn.execute(
        "INSERT INTO fts_tagged (rowid, meta, body, meta_folded, body_folded, tags) "
        "SELECT f.rowid, f.meta, f.body, f.meta_folded, f.body_folded, "
        "kho_tags(d.result_type, d.procedure_code, d.issuer_code, d.issued_on) "
        "FROM fts f JOIN docs d ON d.rid = f.rowid"
    )
    conn.execute("DROP TABLE fts")
    conn.execute("ALTER TABLE fts_tagged RENAME TO fts")


# A record's status on day :day, the same rules as archive.status.status_on.
_STATUS_SQL = """(CASE
    WHEN d.disposed THEN 'disposed'
    WHEN d.revoked_on IS NOT NULL AND d.revoked_on <= :day THEN 'revoked'
    WHEN d.superseded_on IS NOT NULL AND d.superseded_on <= :day THEN 'superseded'
    WHEN d.valid_until IS NOT NULL AND d.valid_until < :day THEN 'expired'
    WHEN d.valid_from > :day THEN 'not_yet_valid'
    ELSE 'valid' END)"""

_VALID_SQL = """(NOT d.disposed
    AND (d.revoked_on IS NULL OR d.revoked_on > :day)
    AND (d.superseded_on IS NULL OR d.superseded_on > :day)
    AND (d.valid_until IS NULL OR d.valid_until >= :day)
    AND d.valid_from <= :day)"""

# A signature verdict that permits reuse, as archive.reuse.accepts.
_SIGNATURE_SQL = {
    SignaturePolicy.total_passed: "d.indication = :passed",
    SignaturePolicy.any: "d.indication IS NOT NULL",
}

# BM25 with the columns weighted: metadata over body, as written over folded.
_SCORE = "-bm25(fts, 4.0, 2.0, 2.0, 1.0, 0.0)"

_COLUMNS = (
    "d.rid, d.record_id, d.valid_from, d.valid_until, d.revoked_on, d.superseded_on, "
    "d.disposed, d.record, d.indication"
)


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


class _EmbeddedRebuild:
    def __init__(self, index: EmbeddedSearchIndex) -> None:
        self._index = index
        self._conn = index._db.connect()
        self._conn.execute("BEGIN IMMEDIATE")
        for table in ("docs", "subjects", "fts"):
            self._conn.execute(f"DELETE FROM {table}")

    def add(self, documents: Sequence[IndexDocument]) -> None:
        for doc in documents:
            self._index._write(self._conn, doc)

    def commit(self) -> None:
        self._conn.execute("COMMIT")
        self._conn.close()

    def abort(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._conn.execute("ROLLBACK")
        self._conn.close()


class EmbeddedSearchIndex:
    """The SearchIndex protocol on SQLite FTS5."""

    name = "embedded"

    def __init__(
        self, path: Path, *, busy_timeout_s: float = 10.0, count_bound: int = COUNT_BOUND
    ) -> None:
        self.path = path
        self.count_bound = count_bound
        # FULL: a committed index write survives power loss, since the outbox entry that
        # would replay it is removed right after.
        self._db = SqliteFile(
            path, _SCHEMA, label="search index", synchronous="FULL", busy_timeout_s=busy_timeout_s
        )
        # An index made before a filter field existed gets its column (empty for the
        # records indexed then, until `kho reindex`): a new field needs no migration.
        with self._db.errors("reading the columns"):
            missing = _missing_columns(self._db.conn)
        if missing:
            with self._db.transaction("adding new fields") as conn:
                for name in _missing_columns(conn):
                    kind = SQL_TYPES[FILTER_FIELDS[name].kind]
                    conn.execute(f"ALTER TABLE docs ADD COLUMN {name} {kind}")
        with self._db.errors("reading the columns"):
            tagged = any(
                row[1] == "tags" for row in self._db.conn.execute("PRAGMA table_info(fts)")
            )
        if not tagged:
            with self._db.transaction("adding the filter tokens") as conn:
                if not any(row[1] == "tags" for row in conn.execute("PRAGMA table_info(fts)")):
                    _add_tags(conn)

    # -- writing -----------------------------------------------------------------------

    def _write(self, conn: sqlite3.Connection, doc: IndexDocument) -> None:
        row = conn.execute(
            "SELECT rid, version FROM docs WHERE record_id = ?", (doc.record_id,)
        ).fetchone()
        if row is not None and row[1] > doc.version:
            return
        values = {
            **doc.filter_fields(),
            "record": json.dumps(doc.record, ensure_ascii=False, default=str),
        }
        for name, spec in FILTER_FIELDS.items():
            if spec.kind is Indexed.flag and values[name] is not None:
                values[name] = int(values[name])
        if row is None:
            names = ", ".join(values)
            marks = ", ".join(f":{k}" for k in values)
            rid = conn.execute(
                f"INSERT INTO docs ({names}) VALUES ({marks})",
                values,
            ).lastrowid
        else:
            rid = row[0]
            sets = ", ".join(f"{k} = :{k}" for k in values)
            conn.execute(
                f"UPDATE docs SET {sets} WHERE rid = :rid",
                {**values, "rid": rid},
            )
            conn.execute("DELETE FROM subjects WHERE rid = ?", (rid,))
            conn.execute("DELETE FROM fts WHERE rowid = ?", (rid,))
        conn.executemany(
            "INSERT OR IGNORE INTO subjects (subject_id, rid) VALUES (?, ?)",
            [(sid, rid) for sid in doc.subject_ids],
        )
        meta = doc.meta_text()
        tags = _tags(*(values[name] for name in (*_TAGGED, "issued_on")))
        conn.execute(
            "INSERT INTO fts (rowid, meta, body, meta_folded, body_folded, tags) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (rid, meta, doc.text, fold(meta), fold(doc.text), tags),
        )

    def upsert(self, documents: Sequence[IndexDocument]) -> None:
        if not documents:
            return
        with self._db.transaction("indexing") as conn:
            for doc in documents:
                self._write(conn, doc)

    def delete(self, record_ids: Iterable[str]) -> None:
        with self._db.transaction("deleting") as conn:
            for record_id in record_ids:
                row = conn.execute(
                    "SELECT rid FROM docs WHERE record_id = ?", (record_id,)
                ).fetchone()
                if row is None:
                    continue
                conn.execute("DELETE FROM subjects WHERE rid = ?", (row[0],))
                conn.execute("DELETE FROM fts WHERE rowid = ?", (row[0],))
                conn.execute("DELETE FROM docs WHERE rid = ?", (row[0],))

    def rebuild(self) -> _EmbeddedRebuild:
        with self._db.errors("starting a rebuild"):
            return _EmbeddedRebuild(self)

    # -- reading -----------------------------------------------------------------------

    @staticmethod
    def _hit(row: sqlite3.Row | tuple[Any, ...], score: float = 0.0) -> Hit:
        validity = Validity(
            valid_from=date.fromisoformat(row[2]),
            valid_until=_date(row[3]),
            revoked_on=_date(row[4]),
            superseded_on=_date(row[5]),
            disposed=bool(row[6]),
        )
        return Hit(
            record_id=row[1],
            record=json.loads(row[7]),
            validity=validity,
            indication=row[8],
            score=score,
        )

    def get(self, record_id: str) -> Hit | None:
        with self._db.errors("reading"):
            row = self._db.conn.execute(
                f"SELECT {_COLUMNS} FROM docs d WHERE d.record_id = ?",
                (record_id,),
            ).fetchone()
        return self._hit(row) if row else None

    def lookup(self, query: LookupQuery) -> ResultPage:
        where = ["s.subject_id = :subject_id"]
        params: dict[str, Any] = {
            "subject_id": query.subject_id,
            "day": query.valid_on.isoformat(),
        }
        if query.procedure_code is not None:
            where.append("d.procedure_code = :procedure_code")
            params["procedure_code"] = query.procedure_code
        if query.result_type is not None:
            where.append("d.result_type = :result_type")
            params["result_type"] = query.result_type
        if query.indication is not None:
            where.append("d.indication = :indication")
            params["indication"] = query.indication
        _allowed(where, params, "procedure_code", query.allowed_procedure_codes)
        _allowed(where, params, "result_type", query.allowed_result_types)
        if not query.include_invalid:
            # Reusable only (archive.reuse.reuse_on): valid on the day, and signed well enough.
            where.append(_VALID_SQL)
            where.append(_SIGNATURE_SQL[query.signature_policy])
            params["passed"] = PASSED
        clause = " AND ".join(where)
        base = f"FROM subjects s JOIN docs d ON d.rid = s.rid WHERE {clause}"
        params["limit"] = query.page_size
        params["offset"] = (query.page - 1) * query.page_size
        with self._db.errors("looking up"):
            total = self._db.conn.execute(f"SELECT count(*) {base}", params).fetchone()[0]
            rows = self._db.conn.execute(
                f"SELECT {_COLUMNS} {base} "
                "ORDER BY d.issued_on DESC, d.record_id LIMIT :limit OFFSET :offset",
                params,
            ).fetchall()
        return ResultPage(hits=tuple(self._hit(r) for r in rows), total=total)

    def search(self, query: SearchQuery) -> ResultPage:
        """Ranked matches, their total counted up to `count_bound` and facets over the
        matches counted (indexer/index.py COUNT_BOUND): no pass over every match.

        With words, the candidates are the `count_bound` most recently indexed matches of
        the words that pass the filters (FTS5 reads its postings newest first, each checked
        against the filters on its covering index entry, and stops there), ranked
        by BM25 and then by issue day; with more matches than that, they are ranked by
        issue day alone (score 0: BM25 would count every match of each word first) and the
        total is the count among them, marked `gte` (at least). Without words, the
        candidates are the newest `count_bound` by issue day that pass the filters. A
        search within one subject (`subject_id`) ranks every match of that subject (they
        are few), counted up to the bound like the others."""
        terms = query_terms(query.q)
        where: list[str] = []
        params: dict[str, Any] = {"day": query.today.isoformat()}
        for name in ("procedure_code", "result_type", "issuer_code", "indication"):
            value = getattr(query, name)
            if value is not None:
                where.append(f"d.{name} = :{name}")
                params[name] = value
        if query.subject_id is not None:
            where.append("d.rid IN (SELECT rid FROM subjects WHERE subject_id = :subject_id)")
            params["subject_id"] = query.subject_id
        if query.issued_from is not None:
            where.append("d.issued_on >= :issued_from")
            params["issued_from"] = query.issued_from.isoformat()
        if query.issued_to is not None:
            where.append("d.issued_on <= :issued_to")
            params["issued_to"] = query.issued_to.isoformat()
        if query.status is not None:
            where.append(f"{_STATUS_SQL} = :status")
            params["status"] = query.status.value
        offset = (query.page - 1) * query.page_size
        bound = self.count_bound
        window = max(bound, offset + query.page_size)
        params["cap"] = window + 1
        facet_columns = ", ".join(
            _STATUS_SQL if name == "status" else f"d.{name}" for name in FACET_FIELDS
        )
        with self._db.errors("searching"):
            conn = self._db.conn
            full = False
            if terms:
                tags = _tags_match(query)
                params["match"] = " AND ".join(
                    filter(None, [f"({_match_expression(query.q)})", tags])
                )
                params["found"] = " AND ".join(filter(None, [_folded_expression(query.q), tags]))
                if query.subject_id is not None:
                    # One subject's records: few, so every match is ranked and counted.
                    scored = conn.execute(
                        f"SELECT fts.rowid, {_SCORE} FROM fts JOIN docs d ON d.rid = fts.rowid "
                        "WHERE fts MATCH :match AND d.rid IN "
                        "(SELECT rid FROM subjects WHERE subject_id = :subject_id)",
                        params,
                    ).fetchall()
                else:
                    # The newest matches' row ids that pass the filters, read along FTS5's
                    # postings newest first and stopping at the cap: BM25 would first count
                    # every row holding each word (its IDF), a pass over every match of a
                    # common word. The filters are applied while reading, not after the cap,
                    # so an older match that passes them is never left out.
                    filtered = "".join(f" AND {w}" for w in where)
                    found = conn.execute(
                        "SELECT fts.rowid FROM fts CROSS JOIN docs d INDEXED BY docs_candidates "
                        f"ON d.rid = fts.rowid WHERE fts MATCH :found{filtered} "
                        "ORDER BY fts.rowid DESC LIMIT :cap",
                        params,
                    ).fetchall()
                    full = len(found) > window
                    if not found:
                        scored = []
                    elif full:
                        # More than the bound: ranked by issue day (score 0), not BM25.
                        scored = [(rid, 0.0) for (rid,) in found[:window]]
                    else:
                        # The words' postings drive (CROSS JOIN: left table outermost); a
                        # filter index driving would run one FTS5 query per filtered record.
                        scored = conn.execute(
                            f"SELECT fts.rowid, {_SCORE} FROM fts CROSS JOIN docs d "
                            "INDEXED BY docs_candidates "
                            f"ON d.rid = fts.rowid WHERE fts MATCH :match{filtered}",
                            params,
                        ).fetchall()
                scores = dict(scored)
                clause = " AND ".join(["d.rid IN (SELECT value FROM json_each(:rids))", *where])
                params["rids"] = json.dumps(list(scores))
                candidates = conn.execute(
                    f"SELECT d.rid, d.issued_on, d.record_id, {facet_columns} "
                    f"FROM docs d INDEXED BY docs_candidates WHERE {clause}",
                    params,
                ).fetchall()
                # BM25 first, then the newest issue day, then the record id (as before).
                candidates.sort(key=lambda r: r[2])
                candidates.sort(key=lambda r: (scores[r[0]], r[1]), reverse=True)
            else:
                clause = ("WHERE " + " AND ".join(where)) if where else ""
                # Newest first along the issue-day index, stopping at the bound (a filter
                # index would sort every record of a common result type first); one
                # subject's few records are found by the planner's choice.
                hint = "" if query.subject_id is not None else " INDEXED BY docs_recent"
                candidates = conn.execute(
                    f"SELECT d.rid, d.issued_on, d.record_id, {facet_columns} FROM docs d{hint} "
                    f"{clause} ORDER BY d.issued_on DESC, d.record_id LIMIT :cap",
                    params,
                ).fetchall()
                full = len(candidates) > window
                candidates = candidates[:window]
                scores = {}
            total = len(candidates)
            if full or total > bound:
                full, total = True, min(total, bound)
            page = [r[0] for r in candidates[offset : offset + query.page_size]]
            rows = self._page_rows(conn, page, with_body=bool(terms), day=params["day"])
        counted = candidates if not full else candidates[:bound]
        facets = _facet_counts(counted) if total else {}
        hits = []
        for row in rows:
            hit = self._hit(row, score=scores.get(row[0], 0.0))
            hits.append(replace(hit, highlights=hit_highlights(hit.record, row[9], terms)))
        return ResultPage(
            hits=tuple(hits),
            total=total,
            facets=facets,
            total_relation="gte" if full else "eq",
        )

    @staticmethod
    def _page_rows(
        conn: sqlite3.Connection, rids: list[int], *, with_body: bool, day: str
    ) -> list[tuple[Any, ...]]:
        if not rids:
            return []
        body = "(SELECT body FROM fts WHERE fts.rowid = d.rid)" if with_body else "''"
        found = {
            row[0]: tuple(row)
            for row in conn.execute(
                f"SELECT {_COLUMNS}, {body} FROM docs d "
                "WHERE d.rid IN (SELECT value FROM json_each(:rids))",
                {"rids": json.dumps(rids), "day": day},
            )
        }
        return [found[rid] for rid in rids if rid in found]

    def count(self) -> int:
        with self._db.errors("counting"):
            return int(self._db.conn.execute("SELECT count(*) FROM docs").fetchone()[0])

    def check(self) -> None:
        with self._db.errors("checking"):
            self._db.conn.execute("SELECT 1 FROM docs LIMIT 1").fetchall()

    def close(self) -> None:
        self._db.close()


def _facet_counts(rows: Sequence[Sequence[Any]]) -> dict[str, list[tuple[str, int]]]:
    """The facets (the 20 commonest values of each field) over candidate rows whose
    columns from the fourth on are the FACET_FIELDS, in order."""
    facets: dict[str, list[tuple[str, int]]] = {}
    for i, name in enumerate(FACET_FIELDS, start=3):
        counts = Counter(map(itemgetter(i), rows))
        counts.pop(None, None)
        ranked = sorted(
            ((str(value), n) for value, n in counts.items()), key=lambda item: (-item[1], item[0])
        )
        facets[name] = ranked[:20]
    return facets


def _allowed(
    where: list[str], params: dict[str, Any], name: str, allowed: frozenset[str] | None
) -> None:
    if allowed is None:
        return
    if not allowed:
        where.append("0")
        return
    marks = []
    for i, value in enumerate(sorted(allowed)):
        params[f"{name}_allowed_{i}"] = value
        marks.append(f":{name}_allowed_{i}")
    where.append(f"d.{name} IN ({', '.join(marks)})")


def _quote(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def _folded_expression(q: str) -> str:
    """The same matches as `_match_expression`, on the folded columns alone: a word's exact
    form is in a record's text only if its folded form is in the folded text, so finding
    (not ranking) needs half the postings."""
    folded = dict.fromkeys(fold(word) for word in words(q))
    return " AND ".join(f"{{meta_folded body_folded}} : {_quote(f)}" for f in folded)


def _match_expression(q: str) -> str:
    """Every word required; each matches as written or folded (FTS5 query syntax)."""
    parts = []
    seen: set[str] = set()
    for word in words(q):
        lowered = word.lower()
        if lowered in seen:
            continue
        seen.add(lowered)
        parts.append(
            f"({{meta body}} : {_quote(lowered)} OR "
            f"{{meta_folded body_folded}} : {_quote(fold(word))})"
        )
    return " AND ".join(parts)
