"""The embedded audit-event index: SQLite in its own file under KHO_DATA_DIR/index/.

A separate file from the search index, so audit appends (hundreds a second) never wait on
a search-index rebuild's write lock, and either can be rebuilt alone.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from kho.archive.audit import AuditEvent
from kho.indexer.errors import IndexUnavailable
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
        self._busy_timeout_s = busy_timeout_s
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = self._connect_new()
            conn.executescript(_SCHEMA)
            conn.close()
        except (OSError, sqlite3.Error) as exc:
            raise IndexUnavailable(f"cannot open the audit index {path}: {exc}") from None

    def _connect_new(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, timeout=self._busy_timeout_s, isolation_level=None, check_same_thread=False
        )
        conn.execute("PRAGMA journal_mode=WAL")
        # NORMAL is enough: the trail is the record, a lost index write is caught up.
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    @property
    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect_new()
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    @contextlib.contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        try:
            yield
        except sqlite3.DatabaseError as exc:
            raise IndexUnavailable(f"audit index error while {doing}: {exc}") from None

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
        conn = self._conn
        with self._errors("indexing events"):
            conn.execute("BEGIN IMMEDIATE")
            try:
                self._write(conn, events)
                conn.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                raise

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
        if query.actions is not None:
            marks = []
            for i, action in enumerate(query.actions):
                params[f"action_{i}"] = action
                marks.append(f":action_{i}")
            where.append(f"e.action IN ({', '.join(marks)})" if marks else "0")
        if query.since is not None:
            where.append("e.at >= :since")
            params["since"] = utc_text(query.since)
        if query.until is not None:
            where.append("e.at < :until")
            params["until"] = utc_text(query.until)
        clause = ("WHERE " + " AND ".join(where)) if where else ""
        params["limit"] = query.page_size
        params["offset"] = (query.page - 1) * query.page_size
        with self._errors("querying events"):
            conn = self._conn
            total = conn.execute(f"SELECT count(*) FROM events e {clause}", params).fetchone()[0]  # noqa: S608 - fixed fragments, bound values
            rows = conn.execute(
                f"SELECT e.body FROM events e {clause} "  # noqa: S608
                "ORDER BY e.seq DESC LIMIT :limit OFFSET :offset",
                params,
            ).fetchall()
        return EventPage(items=tuple(json.loads(r[0]) for r in rows), total=int(total))

    def indexed_through(self) -> int:
        with self._errors("reading the watermark"):
            conn = self._conn
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
        with self._errors("reading"):
            row = self._conn.execute("SELECT max(seq) FROM events").fetchone()
        return int(row[0] or 0)

    def replace_all(self, events: Iterable[AuditEvent]) -> int:
        conn = self._connect_new()
        try:
            with self._errors("rebuilding"):
                conn.execute("BEGIN IMMEDIATE")
                try:
                    for table in ("events", "event_subjects", "event_records", "meta"):
                        conn.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed names
                    count = self._write(conn, events)
                    conn.execute("COMMIT")
                except BaseException:
                    with contextlib.suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                    raise
        finally:
            conn.close()
        return count

    def check(self) -> None:
        with self._errors("checking"):
            self._conn.execute("SELECT 1 FROM events LIMIT 1").fetchall()

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                with contextlib.suppress(sqlite3.Error):
                    conn.close()
            self._all.clear()
        self._local = threading.local()
