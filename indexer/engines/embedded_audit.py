"""The embedded audit-event index: SQLite in its own file under KHO_DATA_DIR/index/.

A separate file from the search index, so audit appends (hundreds a second) never wait on
a search-index rebuild's write lock, and either can be rebuilt alone.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from kho.archive.audit import AuditEvent
from kho.indexer.engines.sqlite import SqliteFile
from kho.indexer.events import AuditQuery, EventPage, utc_text

__all__ = ["EmbeddedAuditIndex"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL,
    at TEXT NOT NULL,
    action TEXT NOT NULL,
    agency TEXT,
    purpose TEXT,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS event_subjects (
    subject_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (subject_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS event_records (
    record_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (record_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS events_at ON events (at);
CREATE INDEX IF NOT EXISTS events_agency ON events (agency, seq);
CREATE INDEX IF NOT EXISTS events_action ON events (action, seq);
CREATE INDEX IF NOT EXISTS events_purpose ON events (purpose, seq);
"""


class EmbeddedAuditIndex:
    """The AuditIndex protocol on SQLite."""

    name = "embedded"

    def __init__(self, path: Path, *, busy_timeout_s: float = 10.0) -> None:
        self.path = path
        # NORMAL is enough: the trail is the record, a lost index write is caught up.
        self._db = SqliteFile(
            path, _SCHEMA, label="audit index", synchronous="NORMAL", busy_timeout_s=busy_timeout_s
        )

    @staticmethod
    def _write(conn: sqlite3.Connection, events: Iterable[AuditEvent]) -> int:
        count = 0
        for event in events:
            body = event.to_json()
            conn.execute(
                "INSERT OR REPLACE INTO events (seq, event_id, at, action, agency, purpose, body) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    event.seq,
                    event.event_id,
                    utc_text(event.at),
                    event.action,
                    event.actor.get("agency"),
                    event.purpose,
                    json.dumps(body, ensure_ascii=False),
                ),
            )
            conn.executemany(
                "INSERT OR IGNORE INTO event_subjects (subject_id, seq) VALUES (?, ?)",
                [(s, event.seq) for s in set(event.subject_ids)],
            )
            conn.executemany(
                "INSERT OR IGNORE INTO event_records (record_id, seq) VALUES (?, ?)",
                [(r, event.seq) for r in set(event.record_ids)],
            )
            count += 1
        return count

    def add(self, events: Sequence[AuditEvent]) -> None:
        if not events:
            return
        with self._db.transaction("indexing events") as conn:
            self._write(conn, events)

    def query(self, query: AuditQuery) -> EventPage:
        where: list[str] = []
        params: dict[str, Any] = {}
        if query.subject_id is not None:
            where.append("e.seq IN (SELECT seq FROM event_subjects WHERE subject_id = :subject)")
            params["subject"] = query.subject_id
        if query.record_id is not None:
            where.append("e.seq IN (SELECT seq FROM event_records WHERE record_id = :record)")
            params["record"] = query.record_id
        for name in ("agency", "action", "purpose"):
            value = getattr(query, name)
            if value is not None:
                where.append(f"e.{name} = :{name}")
                params[name] = value
        if query.user is not None:
            where.append("json_extract(e.body, '$.actor.user') = :user")
            params["user"] = query.user
        if query.actions is not None:
            marks = []
            for i, action in enumerate(query.actions):
                params[f"action_{i}"] = action
                marks.append(f":action_{i}")
            where.append(f"e.action IN ({', '.join(marks)})" if marks else "0")
        if query.seqs is not None:
            marks = []
            for i, seq in enumerate(query.seqs):
                params[f"seq_{i}"] = int(seq)
                marks.append(f":seq_{i}")
            where.append(f"e.seq IN ({', '.join(marks)})" if marks else "0")
        if query.since is not None:
            where.append("e.at >= :since")
            params["since"] = utc_text(query.since)
        if query.until is not None:
            where.append("e.at < :until")
            params["until"] = utc_text(query.until)
        clause = ("WHERE " + " AND ".join(where)) if where else ""
        params["limit"] = query.page_size
        params["offset"] = (query.page - 1) * query.page_size
        with self._db.errors("querying events"):
            conn = self._db.conn
            total = conn.execute(f"SELECT count(*) FROM events e {clause}", params).fetchone()[0]  # noqa: S608 - fixed fragments, bound values
            rows = conn.execute(
                f"SELECT e.body FROM events e {clause} "  # noqa: S608
                "ORDER BY e.seq DESC LIMIT :limit OFFSET :offset",
                params,
            ).fetchall()
        return EventPage(items=tuple(json.loads(r[0]) for r in rows), total=int(total))

    def indexed_through(self) -> int:
        with self._db.errors("reading the watermark"):
            conn = self._db.conn
            row = conn.execute("SELECT value FROM meta WHERE name = 'through'").fetchone()
            through = int(row[0]) if row else 0
            start = through
            while True:
                seqs = [
                    r[0]
                    for r in conn.execute(
                        "SELECT seq FROM events WHERE seq > ? ORDER BY seq LIMIT 5000", (through,)
                    )
                ]
                for seq in seqs:
                    if seq != through + 1:
                        break
                    through = seq
                else:
                    if len(seqs) == 5000:
                        continue
                break
            if through != start:
                conn.execute(
                    "INSERT OR REPLACE INTO meta (name, value) VALUES ('through', ?)", (through,)
                )
        return through

    def last_seq(self) -> int:
        with self._db.errors("reading"):
            row = self._db.conn.execute("SELECT max(seq) FROM events").fetchone()
        return int(row[0] or 0)

    def replace_all(self, events: Iterable[AuditEvent]) -> int:
        own = self._db.connect()
        try:
            with self._db.transaction("rebuilding", own) as conn:
                for table in ("events", "event_subjects", "event_records", "meta"):
                    conn.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed names
                count = self._write(conn, events)
        finally:
            own.close()
        return count

    def check(self) -> None:
        with self._db.errors("checking"):
            self._db.conn.execute("SELECT 1 FROM events LIMIT 1").fetchall()

    def close(self) -> None:
        self._db.close()
