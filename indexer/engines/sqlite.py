"""One SQLite database file shared by the embedded engines: a connection per thread (WAL,
so readers never wait on the writer), write transactions, and errors as IndexUnavailable."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from kho.indexer.errors import IndexUnavailable

__all__ = ["SqliteFile"]


class SqliteFile:
    def __init__(
        self,
        path: Path,
        schema: str,
        *,
        label: str,
        synchronous: Literal["FULL", "NORMAL"],
        busy_timeout_s: float = 10.0,
    ) -> None:
        self.path = path
        self.label = label
        self._synchronous = synchronous
        self._busy_timeout_s = busy_timeout_s
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = self.connect()
            conn.executescript(schema)
            conn.close()
        except (OSError, sqlite3.Error) as exc:
            raise IndexUnavailable(f"cannot open the {label} {path}: {exc}") from None

    def connect(self) -> sqlite3.Connection:
        """A new connection of its own (a rebuild's, say); the caller closes it."""
        conn = sqlite3.connect(
            self.path,
            timeout=self._busy_timeout_s,
            isolation_level=None,
            check_same_thread=False,
        )
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={self._synchronous}")
        # 8 MiB of page cache per connection (the default is 2 MiB): a search reads up to
        # thousands of candidates' index entries; each server thread has its own connection.
        conn.execute("PRAGMA cache_size=-8192")
        return conn

    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's connection."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self.connect()
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    @contextlib.contextmanager
    def errors(self, doing: str) -> Iterator[None]:
        try:
            yield
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise IndexUnavailable(
                    f"the {self.label} is busy ({doing}); a rebuild may be running"
                ) from None
            raise IndexUnavailable(f"{self.label} error while {doing}: {exc}") from None
        except sqlite3.DatabaseError as exc:
            raise IndexUnavailable(
                f"the {self.label} is damaged ({exc}); run `kho reindex`"
            ) from None

    @contextlib.contextmanager
    def transaction(
        self, doing: str, conn: sqlite3.Connection | None = None
    ) -> Iterator[sqlite3.Connection]:
        """A write transaction (BEGIN IMMEDIATE … COMMIT), rolled back on any error."""
        conn = conn or self.conn
        with self.errors(doing):
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                raise

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                with contextlib.suppress(sqlite3.Error):
                    conn.close()
            self._all.clear()
        self._local = threading.local()
