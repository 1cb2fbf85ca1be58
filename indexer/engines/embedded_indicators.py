"""The indicator aggregate on SQLite, in its own file (KHO_DATA_DIR/index/indicators.sqlite3).

Settlement figures come from one row per result (a notice, a deposit, or both), read
through a covering index on the day of settlement: a quarter of a million notices is one
index range. Reuse figures are counters per day, plus per day a Roaring bitmap of the
subjects and of the dossiers served (numbered through two small dictionaries), so the
distinct subjects of any period are the size of a union of at most a few hundred bitmaps,
exactly, without touching the events.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from pyroaring import BitMap

from kho.indexer.engines.sqlite import SqliteFile
from kho.indexer.indicators import (
    DAY_BUCKETS,
    DepositFact,
    Facts,
    Figure,
    GroupBy,
    GroupFigures,
    IndicatorFigures,
    NoticeFact,
    NoticeQuery,
    NoticeRow,
    ReuseFact,
)

__all__ = ["EmbeddedIndicatorAggregate"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    issuer_code TEXT NOT NULL,
    result_code TEXT NOT NULL,
    settled_on INTEGER,
    level TEXT,
    procedure_code TEXT,
    result_form TEXT,
    dossier_code TEXT,
    deposited_on INTEGER,
    record_id TEXT,
    signed INTEGER,
    origin TEXT,
    PRIMARY KEY (issuer_code, result_code)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS results_settled
    ON results (settled_on, level, issuer_code, procedure_code, deposited_on, signed);
CREATE INDEX IF NOT EXISTS results_issuer
    ON results (issuer_code, settled_on);
CREATE TABLE IF NOT EXISTS reuse_days (
    day INTEGER PRIMARY KEY,
    lookups INTEGER NOT NULL DEFAULT 0,
    lookups_found INTEGER NOT NULL DEFAULT 0,
    downloads_other INTEGER NOT NULL DEFAULT 0,
    subjects BLOB,
    dossiers BLOB
);
CREATE TABLE IF NOT EXISTS reuse_events (
    figure INTEGER NOT NULL,
    day INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (figure, day, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS subject_numbers (n INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS dossier_numbers (n INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""
_TABLES = ("results", "reuse_days", "reuse_events", "subject_numbers", "dossier_numbers", "meta")
_FIGURE_CODES: dict[str, int] = {"lookups_found": 1, "downloads_by_other_agencies": 2}
_GROUP_COLUMNS = {
    "level": "level",
    "issuer_code": "issuer_code",
    "procedure_code": "procedure_code",
}


def _bucket_sums(end: int) -> str:
    parts = []
    for low, high in DAY_BUCKETS:
        lag = "(deposited_on - settled_on)"
        cond = f"{lag} <= {high}" if low == 0 else f"{lag} >= {low}"
        if low != 0 and high is not None:
            cond += f" AND {lag} <= {high}"
        parts.append(f"coalesce(sum(deposited_on <= {end} AND {cond}), 0)")
    return ", ".join(parts)


class EmbeddedIndicatorAggregate:
    """The IndicatorAggregate protocol on SQLite."""

    name = "embedded"

    def __init__(self, path: Path, *, busy_timeout_s: float = 30.0) -> None:
        self.path = path
        self._db = SqliteFile(
            path,
            _SCHEMA,
            label="indicator aggregate",
            synchronous="NORMAL",
            busy_timeout_s=busy_timeout_s,
        )

    # -- writing -----------------------------------------------------------------------

    @staticmethod
    def _watermark(conn: sqlite3.Connection) -> int:
        row = conn.execute("SELECT value FROM meta WHERE name = 'watermark'").fetchone()
        return int(row[0]) if row else 0

    def watermark(self) -> int:
        with self._db.errors("reading the watermark"):
            return self._watermark(self._db.conn)

    def apply(self, through_seq: int, facts: Facts) -> bool:
        with self._db.transaction("applying facts") as conn:
            return self._apply(conn, through_seq, facts)

    def _apply(self, conn: sqlite3.Connection, through_seq: int, facts: Facts) -> bool:
        mark = self._watermark(conn)
        if through_seq and through_seq <= mark:
            return False
        self._notices(conn, facts.notices)
        self._deposits(conn, facts.deposits)
        self._reuse(conn, [f for f in facts.reuse if f.seq > mark])
        if through_seq > mark:
            conn.execute(
                "INSERT OR REPLACE INTO meta (name, value) VALUES ('watermark', ?)", (through_seq,)
            )
        return True

    @staticmethod
    def _notices(conn: sqlite3.Connection, notices: Sequence[NoticeFact]) -> None:
        conn.executemany(
            "INSERT INTO results (issuer_code, result_code, settled_on, level, procedure_code, "
            "result_form, dossier_code) VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (issuer_code, result_code) DO UPDATE SET "
            "settled_on = excluded.settled_on, "
            "level = excluded.level, procedure_code = excluded.procedure_code, "
            "result_form = excluded.result_form, dossier_code = excluded.dossier_code",
            [
                (
                    n.issuer_code,
                    n.result_code,
                    n.settled_on.toordinal(),
                    n.level,
                    n.procedure_code,
                    n.result_form,
                    n.dossier_code,
                )
                for n in notices
            ],
        )

    @staticmethod
    def _deposits(conn: sqlite3.Connection, deposits: Sequence[DepositFact]) -> None:
        conn.executemany(
            "INSERT INTO results (issuer_code, result_code, deposited_on, record_id, signed, "
            "origin) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (issuer_code, result_code) DO UPDATE SET "
            "deposited_on = excluded.deposited_on, record_id = excluded.record_id, "
            "signed = excluded.signed, origin = excluded.origin "
            "WHERE results.deposited_on IS NULL OR excluded.deposited_on < results.deposited_on",
            [
                (
                    d.issuer_code,
                    d.result_code,
                    d.deposited_on.toordinal(),
                    d.record_id,
                    int(d.signed),
                    d.origin,
                )
                for d in deposits
            ],
        )

    @staticmethod
    def _numbers(conn: sqlite3.Connection, table: str, names: set[str]) -> dict[str, int]:
        if not names:
            return {}
        conn.executemany(
            f"INSERT OR IGNORE INTO {table} (name) VALUES (?)",
            [(name,) for name in names],
        )
        found: dict[str, int] = {}
        listed = sorted(names)
        for i in range(0, len(listed), 500):
            part = listed[i : i + 500]
            marks = ", ".join("?" * len(part))
            found.update(
                conn.execute(
                    f"SELECT name, n FROM {table} WHERE name IN ({marks})",
                    part,
                ).fetchall()
            )
        return found

    def _reuse(self, conn: sqlite3.Connection, reuse: Sequence[ReuseFact]) -> None:
        if not reuse:
            return
        counts: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
        events: list[tuple[int, int, int]] = []
        served = [f for f in reuse if f.serves]
        subjects = self._numbers(
            conn, "subject_numbers", {s for f in served for s in f.subject_ids}
        )
        dossiers = self._numbers(
            conn, "dossier_numbers", {f.dossier_code for f in served if f.dossier_code}
        )
        day_subjects: dict[int, set[int]] = defaultdict(set)
        day_dossiers: dict[int, set[int]] = defaultdict(set)
        for fact in reuse:
            day = fact.day.toordinal()
            row = counts[day]
            if fact.kind == "lookup":
                row[0] += 1
                if fact.found:
                    row[1] += 1
                    events.append((_FIGURE_CODES["lookups_found"], day, fact.seq))
            elif fact.other_agency:
                row[2] += 1
                events.append((_FIGURE_CODES["downloads_by_other_agencies"], day, fact.seq))
            if fact.serves:
                day_subjects[day].update(subjects[s] for s in fact.subject_ids)
                if fact.dossier_code:
                    day_dossiers[day].add(dossiers[fact.dossier_code])
        for day, (lookups, found, other) in counts.items():
            held = conn.execute(
                "SELECT subjects, dossiers FROM reuse_days WHERE day = ?", (day,)
            ).fetchone()
            subject_map = BitMap.deserialize(held[0]) if held and held[0] else BitMap()
            dossier_map = BitMap.deserialize(held[1]) if held and held[1] else BitMap()
            subject_map.update(day_subjects.get(day, ()))
            dossier_map.update(day_dossiers.get(day, ()))
            conn.execute(
                "INSERT INTO reuse_days (day, lookups, lookups_found, downloads_other, subjects, "
                "dossiers) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (day) DO UPDATE SET "
                "lookups = lookups + excluded.lookups, "
                "lookups_found = lookups_found + excluded.lookups_found, "
                "downloads_other = downloads_other + excluded.downloads_other, "
                "subjects = excluded.subjects, dossiers = excluded.dossiers",
                (day, lookups, found, other, subject_map.serialize(), dossier_map.serialize()),
            )
        conn.executemany(
            "INSERT OR IGNORE INTO reuse_events (figure, day, seq) VALUES (?, ?, ?)", events
        )

    def rebuild(self, slices: Iterable[tuple[int, Facts]]) -> int:
        own = self._db.connect()
        try:
            with self._db.transaction("rebuilding", own) as conn:
                for table in _TABLES:
                    conn.execute(f"DELETE FROM {table}")
                for through_seq, facts in slices:
                    self._apply(conn, through_seq, facts)
                return self._watermark(conn)
        finally:
            own.close()

    # -- reading -----------------------------------------------------------------------

    def figures(self, start: date, end: date, group_by: GroupBy | None) -> IndicatorFigures:
        first, last = start.toordinal(), end.toordinal()
        key = _GROUP_COLUMNS[group_by] if group_by else "''"
        sql = (
            f"SELECT {key}, count(*), coalesce(sum(deposited_on <= {last}), 0), "
            f"coalesce(sum(deposited_on <= {last} AND signed), 0), {_bucket_sums(last)} "
            "FROM results WHERE settled_on BETWEEN ? AND ? "
            f"GROUP BY {key} ORDER BY {key}"
        )
        with self._db.errors("computing indicators"):
            conn = self._db.conn
            rows = conn.execute(sql, (first, last)).fetchall()
            reuse = conn.execute(
                "SELECT coalesce(sum(lookups), 0), coalesce(sum(lookups_found), 0), "
                "coalesce(sum(downloads_other), 0) FROM reuse_days WHERE day BETWEEN ? AND ?",
                (first, last),
            ).fetchone()
            subjects, dossiers = BitMap(), BitMap()
            for subject_blob, dossier_blob in conn.execute(
                "SELECT subjects, dossiers FROM reuse_days WHERE day BETWEEN ? AND ?",
                (first, last),
            ):
                if subject_blob:
                    subjects |= BitMap.deserialize(subject_blob)
                if dossier_blob:
                    dossiers |= BitMap.deserialize(dossier_blob)
            through = self._watermark(conn)
        groups = tuple(
            GroupFigures(
                key=str(row[0]) if row[0] is not None else "",
                settled=int(row[1]),
                digitized=int(row[2]),
                signed=int(row[3]),
                days=tuple(int(v) for v in row[4:]),
            )
            for row in rows
        )
        totals = GroupFigures(
            key="",
            settled=sum(g.settled for g in groups),
            digitized=sum(g.digitized for g in groups),
            signed=sum(g.signed for g in groups),
            days=tuple(sum(g.days[i] for g in groups) for i in range(len(DAY_BUCKETS))),
        )
        return IndicatorFigures(
            start=start,
            end=end,
            totals=totals,
            groups=groups if group_by else (),
            lookups=int(reuse[0]),
            lookups_found=int(reuse[1]),
            downloads_by_other_agencies=int(reuse[2]),
            subjects_served=len(subjects),
            dossiers_served=len(dossiers),
            through_seq=through,
        )

    def notices(self, query: NoticeQuery) -> tuple[list[NoticeRow], int]:
        where = ["settled_on IS NOT NULL"]
        params: dict[str, Any] = {}
        if query.start is not None:
            where.append("settled_on >= :start")
            params["start"] = query.start.toordinal()
        if query.end is not None:
            where.append("settled_on <= :end")
            params["end"] = query.end.toordinal()
        for name in ("issuer_code", "level", "procedure_code"):
            value = getattr(query, name)
            if value is not None:
                where.append(f"{name} = :{name}")
                params[name] = value
        as_of = query.as_of or query.end
        held = "deposited_on IS NOT NULL"
        if as_of is not None:
            held += " AND deposited_on <= :as_of"
            params["as_of"] = as_of.toordinal()
        if query.state == "digitized":
            where.append(f"({held})")
        elif query.state == "waiting":
            where.append(f"NOT ({held})")
        clause = " AND ".join(where)
        params["limit"] = query.page_size
        params["offset"] = (query.page - 1) * query.page_size
        with self._db.errors("listing notices"):
            conn = self._db.conn
            total = conn.execute(
                f"SELECT count(*) FROM results WHERE {clause}",
                params,
            ).fetchone()[0]
            rows = conn.execute(
                "SELECT issuer_code, result_code, dossier_code, procedure_code, level, "
                "settled_on, result_form, record_id, deposited_on, signed FROM results "
                f"WHERE {clause} ORDER BY settled_on, issuer_code, result_code "
                "LIMIT :limit OFFSET :offset",
                params,
            ).fetchall()
        items = []
        for row in rows:
            deposited = (
                row[8]
                if row[8] is not None and (as_of is None or row[8] <= as_of.toordinal())
                else None
            )
            items.append(
                NoticeRow(
                    notice=NoticeFact(
                        issuer_code=row[0],
                        result_code=row[1],
                        dossier_code=row[2],
                        procedure_code=row[3],
                        level=row[4],
                        settled_on=date.fromordinal(row[5]),
                        result_form=row[6],
                    ),
                    record_id=row[7] if deposited is not None else None,
                    deposited_on=date.fromordinal(deposited) if deposited is not None else None,
                    signed=bool(row[9]) if deposited is not None else None,
                )
            )
        return items, int(total)

    def reuse_seqs(
        self, figure: Figure, start: date, end: date, page: int, page_size: int
    ) -> tuple[list[int], int]:
        code = _FIGURE_CODES[figure]
        params = (code, start.toordinal(), end.toordinal())
        with self._db.errors("listing events"):
            conn = self._db.conn
            total = conn.execute(
                "SELECT count(*) FROM reuse_events WHERE figure = ? AND day BETWEEN ? AND ?",
                params,
            ).fetchone()[0]
            seqs = [
                int(r[0])
                for r in conn.execute(
                    "SELECT seq FROM reuse_events WHERE figure = ? AND day BETWEEN ? AND ? "
                    "ORDER BY day, seq LIMIT ? OFFSET ?",
                    (*params, page_size, (page - 1) * page_size),
                )
            ]
        return seqs, int(total)

    def close(self) -> None:
        self._db.close()
