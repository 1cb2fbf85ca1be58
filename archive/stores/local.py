"""The embedded default's object store: a local folder, written atomically and durably.

A write goes to a temporary file in the target folder, is fsynced, then renamed (or, for a
create-only write, hard-linked, which fails atomically if the name is taken), and the folder
is fsynced. A crash therefore leaves the old object or the new one, never a mix; stray
temporary files (names starting with '.tmp-') are ignored and swept at start.

The fsyncs of one write (or of `put_many`, the files of one deposit) are grouped: every
temporary file is written first and all are fsynced together, then every name goes in and
every folder it touched (a new folder's parent too) is fsynced together, each folder once.
Concurrent fsyncs share the filesystem's journal commits, so a deposit of five files pays
for about two commits instead of one per file and per folder, and the order that matters
holds: no name is made before its bytes are on disk, and nothing returns before the names
are.

Every write and delete holds a shared lock on `.write.lock` in the folder (flock, so it is
released when its process dies); `paused()` takes it exclusively, so a backup sees no
write half-done and the folder stands still while it is copied (services/backup.py).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import stat as stat_module
import time
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from kho.archive.errors import ObjectExists, ObjectNotFound, ObjectProtected, StoreUnavailable
from kho.archive.store import ObjectInfo, check_key
from kho.pools import ForkSafePool

__all__ = ["LocalObjectStore"]

_TMP = ".tmp-"
WRITE_LOCK = ".write.lock"


def _temporary(path: str) -> str:
    """A new temporary name beside `path` (ignored by every reader, swept at start)."""
    folder, name = os.path.split(path)
    return os.path.join(folder, f"{_TMP}{secrets.token_hex(8)}-{name}")


def _fsync_dir(path: str | Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_path(path: str | Path) -> None:
    fd = os.open(path, os.O_RDONLY)  # a file or a folder alike
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# The threads that fsync in parallel.
_fsync_pool = ForkSafePool("kho-fsync")


def _fsync_all(paths: Iterable[str | Path]) -> None:
    """fsync every file or folder in `paths` (each once), together: the journal commits
    one of them starts carry the others. Raises the first OSError once all have ended."""
    unique = list(dict.fromkeys(paths))
    if len(unique) == 1:
        _fsync_path(unique[0])
        return
    errors = [exc for exc in _fsync_pool().map(_fsync_or_error, unique) if exc is not None]
    if errors:
        raise errors[0]


def _fsync_or_error(path: str | Path) -> OSError | None:
    try:
        _fsync_path(path)
    except OSError as exc:
        return exc
    return None


class LocalObjectStore:
    """Objects as files under `root`; keys map to relative paths checked by check_key."""

    name = "local"

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        # The write path joins plain strings: pathlib's objects were about a quarter of
        # its user CPU (bench/bench_store.py; a deposit writes about ten files).
        self._root = str(self.root)
        self._lock_file = os.path.join(self._root, WRITE_LOCK)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreUnavailable(f"cannot create the archive folder {self.root}: {exc}") from None

    @contextlib.contextmanager
    def _locked(self, mode: int) -> Iterator[None]:
        """The folder's write lock, shared (a write) or exclusive (a pause). One open file
        per holder: flock locks belong to the open file, so threads never share one."""
        fd = os.open(self._lock_file, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, mode)
            yield
        finally:
            os.close(fd)  # releases the lock

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """No write or delete runs meanwhile, in any process (they wait): a consistent view
        of the folder for a backup. Do not write to this store inside it."""
        try:
            with self._locked(fcntl.LOCK_EX):
                yield
        except OSError as exc:
            raise StoreUnavailable(f"cannot lock the archive folder {self.root}: {exc}") from None

    def _file(self, key: str) -> str:
        """Where the object `key` lives, as a string (the write path)."""
        return os.path.join(self._root, *check_key(key).split("/"))

    def _path(self, key: str) -> Path:
        return Path(self._file(key))

    @staticmethod
    def _make_parents(path: str, touched: set[str]) -> None:
        """Create the missing folders above `path`; each new folder's parent goes into
        `touched` (a new folder is durable only once its parent's entry is on disk)."""
        missing: list[str] = []
        parent = os.path.dirname(path)
        while not os.path.exists(parent):
            missing.append(parent)
            parent = os.path.dirname(parent)
        if not missing:
            return
        os.makedirs(os.path.dirname(path), exist_ok=True)
        touched.update(os.path.dirname(folder) for folder in missing)

    def put(
        self,
        key: str,
        data: bytes | BinaryIO,
        *,
        create_only: bool = False,
        retain_until: datetime | None = None,
    ) -> ObjectInfo:
        path = self._file(key)
        try:
            with self._locked(fcntl.LOCK_SH):
                return self._put(key, path, data, create_only, retain_until)
        except OSError as exc:
            raise StoreUnavailable(f"cannot write {key}: {exc.strerror or exc}") from None

    def put_many(self, items: Sequence[tuple[str, bytes, bool]]) -> list[bool]:
        """Store several small objects, (key, bytes, create_only) each, durably before it
        returns, with their fsyncs grouped (the module's docstring). For each, whether it
        was written: False for a create-only key that existed already (left as it was).
        A crash before the return leaves each object old or new, never partial."""
        paths = [self._file(key) for key, _data, _create in items]
        try:
            with self._locked(fcntl.LOCK_SH):
                return self._put_many(items, paths)
        except OSError as exc:
            keys = ", ".join(key for key, _d, _c in items)
            raise StoreUnavailable(f"cannot write {keys}: {exc.strerror or exc}") from None

    def _put_many(self, items: Sequence[tuple[str, bytes, bool]], paths: list[str]) -> list[bool]:
        touched: set[str] = set()
        temporaries: list[str] = []
        try:
            for path, (_key, data, _create) in zip(paths, items, strict=True):
                self._make_parents(path, touched)
                tmp = _temporary(path)
                temporaries.append(tmp)
                with open(tmp, "xb") as out:
                    out.write(data)
            _fsync_all(temporaries)  # the bytes, before any name points at them
            written: list[bool] = []
            for path, tmp, (_key, _data, create_only) in zip(
                paths, temporaries, items, strict=True
            ):
                if create_only:
                    try:
                        os.link(tmp, path)
                        written.append(True)
                    except FileExistsError:
                        written.append(False)
                    os.unlink(tmp)
                else:
                    os.replace(tmp, path)
                    written.append(True)
                touched.add(os.path.dirname(path))
            _fsync_all(touched)  # the names, each folder once
            return written
        finally:
            for tmp in temporaries:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)

    def _put(
        self,
        key: str,
        path: str,
        data: bytes | BinaryIO,
        create_only: bool,
        retain_until: datetime | None,
    ) -> ObjectInfo:
        try:
            touched: set[str] = set()
            self._make_parents(path, touched)
            if create_only and os.path.exists(path):
                raise ObjectExists(f"{key} already exists")
            tmp = _temporary(path)
            size = 0
            try:
                with open(tmp, "xb") as out:
                    if isinstance(data, bytes | bytearray | memoryview):
                        out.write(data)
                        size = len(data)
                    else:
                        while chunk := data.read(1024 * 1024):
                            out.write(chunk)
                            size += len(chunk)
                    out.flush()
                    # The new folders' entries and the bytes, together.
                    _fsync_all([*touched, tmp])
                if retain_until is not None:
                    # Read-only is the most a plain folder can say about write-once; the
                    # date it is kept until goes beside it (a hidden name, never a key).
                    os.chmod(tmp, stat_module.S_IRUSR | stat_module.S_IRGRP)
                    self._write_until(Path(path), retain_until)
                if create_only:
                    try:
                        os.link(tmp, path)
                    except FileExistsError:
                        raise ObjectExists(f"{key} already exists") from None
                    finally:
                        with contextlib.suppress(FileNotFoundError):
                            os.unlink(tmp)
                else:
                    os.replace(tmp, path)
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
                raise
            _fsync_dir(os.path.dirname(path))
        except (ObjectExists, ObjectNotFound):
            raise
        except OSError as exc:
            raise StoreUnavailable(f"cannot write {key}: {exc.strerror or exc}") from None
        return ObjectInfo(key=key, size=size, modified=datetime.now(UTC))

    def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise ObjectNotFound(f"{key} not found") from None
        except IsADirectoryError:
            raise ObjectNotFound(f"{key} not found") from None
        except OSError as exc:
            raise StoreUnavailable(f"cannot read {key}: {exc.strerror or exc}") from None

    def stream(
        self, key: str, *, start: int = 0, length: int | None = None, chunk_size: int = 65536
    ) -> Iterator[bytes]:
        path = self._path(key)
        try:
            handle = path.open("rb")
        except (FileNotFoundError, IsADirectoryError):
            raise ObjectNotFound(f"{key} not found") from None
        except OSError as exc:
            raise StoreUnavailable(f"cannot read {key}: {exc.strerror or exc}") from None
        return self._chunks(handle, start, length, chunk_size)

    @staticmethod
    def _chunks(
        handle: BinaryIO, start: int, length: int | None, chunk_size: int
    ) -> Iterator[bytes]:
        with handle:
            handle.seek(start)
            remaining = length
            while remaining is None or remaining > 0:
                want = chunk_size if remaining is None else min(chunk_size, remaining)
                chunk = handle.read(want)
                if not chunk:
                    return
                if remaining is not None:
                    remaining -= len(chunk)
                yield chunk

    def stat(self, key: str) -> ObjectInfo:
        path = self._path(key)
        try:
            st = path.stat()
        except FileNotFoundError:
            raise ObjectNotFound(f"{key} not found") from None
        except OSError as exc:
            raise StoreUnavailable(f"cannot read {key}: {exc.strerror or exc}") from None
        if not stat_module.S_ISREG(st.st_mode):
            raise ObjectNotFound(f"{key} not found")
        return ObjectInfo(
            key=key, size=st.st_size, modified=datetime.fromtimestamp(st.st_mtime, UTC)
        )

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def list(self, prefix: str) -> Iterator[str]:
        # The folder part of the prefix is walked; the rest filters names.
        folder_part, _, _ = prefix.rpartition("/")
        base = self.root.joinpath(*check_key(folder_part).split("/")) if folder_part else self.root
        if not base.is_dir():
            return
        yield from (key for key in self._walk(base, folder_part) if key.startswith(prefix))

    def _walk(self, folder: Path, key_prefix: str) -> Iterator[str]:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except FileNotFoundError:
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            key = f"{key_prefix}/{entry.name}" if key_prefix else entry.name
            if entry.is_dir(follow_symlinks=False):
                yield from self._walk(Path(entry.path), key)
            elif entry.is_file(follow_symlinks=False):
                yield key

    def _until_path(self, path: Path) -> Path:
        """Where the date an object is kept until lives: a hidden tree beside the keys
        (`.retain/<key>`), never listed as a key."""
        return self.root / ".retain" / path.relative_to(self.root)

    def _write_until(self, path: Path, until: datetime) -> None:
        until = until if until.tzinfo else until.replace(tzinfo=UTC)
        side = self._until_path(path)
        side.parent.mkdir(parents=True, exist_ok=True)
        tmp = side.with_name(f"{_TMP}{secrets.token_hex(8)}-{side.name}")
        tmp.write_text(until.astimezone(UTC).isoformat(), encoding="ascii")
        tmp.replace(side)

    def retained_until(self, key: str) -> datetime | None:
        """Until when the object is kept write-once (None: not protected by a date)."""
        path = self._path(key)
        if not path.exists():
            raise ObjectNotFound(f"{key} not found")
        try:
            return datetime.fromisoformat(self._until_path(path).read_text(encoding="ascii"))
        except (FileNotFoundError, ValueError):
            return None

    def retain(self, key: str, until: datetime, *, mode: str = "COMPLIANCE") -> None:
        """Keep the object write-once until `until`; a later date extends, an earlier one
        is ignored (retention is never shortened)."""
        path = self._path(key)
        current = self.retained_until(key)
        until = until if until.tzinfo else until.replace(tzinfo=UTC)
        try:
            if current is None or current < until:
                self._write_until(path, until)
            path.chmod(stat_module.S_IRUSR | stat_module.S_IRGRP)
        except OSError as exc:
            raise StoreUnavailable(f"cannot protect {key}: {exc.strerror or exc}") from None

    def delete(self, key: str) -> None:
        path = self._path(key)
        try:
            with self._locked(fcntl.LOCK_SH):
                self._delete(key, path)
        except OSError as exc:
            raise StoreUnavailable(f"cannot delete {key}: {exc.strerror or exc}") from None

    def discard(self, key: str) -> None:
        """Remove an object whose removal need not survive a crash: a marker that is
        harmless if it comes back (an outbox entry: the record is indexed again). Like
        `delete` but without the folder's fsync; never for a write-once object."""
        path = self._path(key)
        try:
            with self._locked(fcntl.LOCK_SH):
                path.unlink(missing_ok=True)
        except IsADirectoryError:
            return
        except OSError as exc:
            raise StoreUnavailable(f"cannot delete {key}: {exc.strerror or exc}") from None

    def _delete(self, key: str, path: Path) -> None:
        try:
            if path.stat().st_mode & (stat_module.S_IWUSR | stat_module.S_IWGRP) == 0:
                until = self.retained_until(key)
                if until is None or until > datetime.now(UTC):
                    raise ObjectProtected(
                        f"{key} is write-once"
                        + (f" until {until.isoformat()}" if until is not None else "")
                    )
                path.chmod(stat_module.S_IRUSR | stat_module.S_IWUSR | stat_module.S_IRGRP)
            path.unlink()
            self._until_path(path).unlink(missing_ok=True)
            _fsync_dir(path.parent)
        except (FileNotFoundError, ObjectNotFound):
            return
        except OSError as exc:
            raise StoreUnavailable(f"cannot delete {key}: {exc.strerror or exc}") from None

    def check(self) -> None:
        probe = self.root / f"{_TMP}probe-{secrets.token_hex(4)}"
        try:
            probe.write_bytes(b"ok")
            probe.unlink()
        except OSError as exc:
            raise StoreUnavailable(
                f"the archive folder {self.root} is not writable: {exc}"
            ) from None

    def sweep_temporary(self, older_than_s: float = 3600.0) -> int:
        """Remove temporary files left by writes a crash interrupted; returns how many.

        Only old ones: a younger one may belong to a write still under way in another process.
        """
        removed = 0
        cutoff = time.time() - older_than_s
        for dirpath, _dirs, files in os.walk(self.root):
            for name in files:
                path = Path(dirpath, name)
                if name.startswith(_TMP) and path.stat().st_mtime < cutoff:
                    with contextlib.suppress(OSError):
                        path.unlink()
                        removed += 1
        return removed

    def close(self) -> None:
        return None

    def disk_usage(self) -> int:
        total = 0
        for dirpath, _dirs, files in os.walk(self.root):
            for name in files:
                with contextlib.suppress(OSError):
                    total += Path(dirpath, name).stat().st_size
        return total
