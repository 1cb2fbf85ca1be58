"""Backups of the embedded archive that restore: `kho backup DIR` and `kho restore DIR`.

A backup is a folder holding the object store's files, the search, audit-event and
indicator indexes (SQLite's online backup, each a consistent snapshot), the secrets the
archive cannot work without (the API-key HMAC key, the audit checkpoint key and the latest
checkpoint) and, written last, `backup.json`; a folder without it is not a backup.

Consistency while the server runs: the store's files are copied once without stopping
anyone (most of them never change: originals, manifests and audit batches are
create-only), then writes to the store are paused (archive/stores/local.py `paused()`,
a lock every process's writes share) while what changed meanwhile is copied again, what
went away is removed, and the indexes and secrets are copied. The copy is therefore the
archive as it stood at one instant: every record acknowledged before it is whole, the
audit trail and the files it hashes agree, and the latest checkpoint is not ahead of the
trail. Writers wait during the second pass only (its length is a walk of the folder plus
what changed, and the index snapshots); readers do not wait, except for their audit event.

On MinIO and Elasticsearch the backends have their own tools (README "Running at scale":
`mc mirror` of the versioned, object-locked bucket; the index is rebuilt with
`kho reindex`), and these commands refuse with a pointer to them.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kho import __version__
from kho.archive.stores.local import LocalObjectStore
from kho.services.checkpoints import local_anchor_file
from kho.services.secrets import _FILE as HMAC_FILE
from kho.settings import SearchBackend, Settings, SettingsError, StorageBackend

__all__ = [
    "FORMAT",
    "BackupError",
    "BackupReport",
    "BackupUnsupported",
    "backup",
    "restore",
]

FORMAT = "kho-backup/1"
MANIFEST = "backup.json"
INDEXES = ("kho.sqlite3", "audit.sqlite3", "indicators.sqlite3")
_ANCHOR = "audit-anchor.json"
_CHECKPOINT_KEY = "audit-checkpoint.key"

Progress = Callable[[int, int | None], None]


class BackupError(Exception):
    """The backup or restore cannot go on (a folder not empty, a backup incomplete)."""


class BackupUnsupported(SettingsError):
    """The settings name backends these commands do not copy (exit 78)."""


@dataclass(frozen=True)
class BackupReport:
    folder: str
    files: int
    bytes: int
    records: int
    audit_seq: int
    indexes: list[str]
    secrets: list[str]
    paused_s: float
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def require_embedded(settings: Settings, command: str) -> None:
    embedded = settings.search is SearchBackend.embedded
    if settings.storage is not StorageBackend.local or not embedded:
        raise BackupUnsupported(
            f"kho {command} copies the embedded archive (KHO_STORAGE=local, KHO_SEARCH=embedded); "
            "on MinIO mirror the bucket with `mc mirror` and rebuild Elasticsearch with "
            "`kho reindex` (README, 'Running at scale')"
        )


def _empty_folder(folder: Path, what: str) -> None:
    """`folder` exists afterwards and is empty; BackupError if it holds anything."""
    if folder.exists() and not folder.is_dir():
        raise BackupError(f"{what} {folder} is a file, not a folder")
    if folder.is_dir() and any(folder.iterdir()):
        raise BackupError(f"{what} {folder} is not empty: give an empty or a new folder")
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)


def _files(root: Path) -> Iterator[tuple[str, os.stat_result]]:
    """Every regular file under `root` as (relative path, its lstat), in sorted order;
    names starting with '.' (temporary files, the write lock) are not the archive's."""
    stack = [(root, "")]
    while stack:
        folder, prefix = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name, reverse=True)
        except FileNotFoundError:
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            rel = f"{prefix}{entry.name}"
            if entry.is_dir(follow_symlinks=False):
                stack.append((Path(entry.path), rel + "/"))
            elif entry.is_file(follow_symlinks=False):
                try:
                    yield rel, entry.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue


def _signature(st: os.stat_result) -> tuple[int, int, int]:
    # A file the store rewrites is replaced by rename, so a new inode says it changed.
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def _copy(source: Path, target: Path) -> int:
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        target.chmod(0o600)  # a write-once file copied earlier, now replaced
        target.unlink()
    shutil.copy2(source, target)  # keeps the mode: write-once files stay read-only
    return target.stat().st_size


def _snapshot_sqlite(source: Path, target: Path) -> None:
    """SQLite's online backup: a consistent copy even while other processes write."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


def _secret_sources(settings: Settings) -> dict[str, Path]:
    """The secrets a restored archive needs, by their name in the backup."""
    folder = settings.secrets_folder
    return {
        HMAC_FILE: folder / HMAC_FILE,
        _CHECKPOINT_KEY: settings.checkpoint_key_path,
        _ANCHOR: folder / local_anchor_file(settings),
    }


def _copy_private(source: Path, target: Path) -> bool:
    try:
        data = source.read_bytes()
    except FileNotFoundError:
        return False
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    return True


def backup(
    settings: Settings,
    store: LocalObjectStore,
    target: Path,
    progress: Progress | None = None,
    *,
    audit_seq: Callable[[], int] = lambda: 0,
) -> BackupReport:
    """Copy the running embedded archive into the empty folder `target` (module docstring)."""
    require_embedded(settings, "backup")
    started = time.monotonic()
    if target.resolve().is_relative_to(settings.data_dir.resolve()):
        raise BackupError(f"the backup folder {target} is inside KHO_DATA_DIR: choose another")
    _empty_folder(target, "the backup folder")
    root = store.root
    copy_root = target / "store"
    copy_root.mkdir(mode=0o700)
    copied: dict[str, tuple[int, int, int]] = {}

    # Pass 1: everything, nobody waits.
    listed = list(_files(root))
    total = len(listed)
    if progress:
        progress(0, total)
    for done, (rel, st) in enumerate(listed, 1):
        try:
            _copy(root / rel, copy_root / rel)
        except FileNotFoundError:
            continue  # removed meanwhile (an outbox entry done, a batch sealed)
        copied[rel] = _signature(st)
        if progress and (done % 200 == 0 or done == total):
            progress(done, total)

    # Pass 2: writes wait; what changed is copied again, what went away removed.
    secrets: list[str] = []
    indexes: list[str] = []
    with store.paused():
        paused_at = time.monotonic()
        # The checkpoint first: everything it attests is in the trail copied below.
        for name, path in _secret_sources(settings).items():
            if _copy_private(path, target / "secrets" / name):
                secrets.append(name)
        present: dict[str, tuple[int, int, int]] = {}
        for rel, st in _files(root):
            present[rel] = _signature(st)
            if copied.get(rel) != present[rel]:
                _copy(root / rel, copy_root / rel)
        for rel in set(copied) - set(present):
            gone = copy_root / rel
            gone.chmod(0o600)
            gone.unlink()
        index_folder = settings.data_dir / "index"
        (target / "index").mkdir(mode=0o700)
        for name in INDEXES:
            if (index_folder / name).is_file():
                _snapshot_sqlite(index_folder / name, target / "index" / name)
                indexes.append(name)
        seq = audit_seq()
        paused_s = time.monotonic() - paused_at
    sizes = [(copy_root / rel).stat().st_size for rel in present]
    records = sum(1 for rel in present if rel.startswith("claims/"))
    report = BackupReport(
        folder=str(target),
        files=len(present),
        bytes=sum(sizes),
        records=records,
        audit_seq=seq,
        indexes=indexes,
        secrets=secrets,
        paused_s=round(paused_s, 3),
        seconds=round(time.monotonic() - started, 3),
    )
    os.sync()  # the copy is on disk before backup.json says it is complete
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(),
        "kho_version": __version__,
        "source": str(settings.data_dir.resolve()),
        **report.to_json(),
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    os.sync()
    if progress:
        progress(total, total)
    return report


def read_manifest(source: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(
            f"{source} is not a complete Kho backup (no {MANIFEST}: the backup was "
            "interrupted, or this is another folder)"
        ) from None
    except (OSError, ValueError) as exc:
        raise BackupError(f"cannot read {source / MANIFEST}: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{source / MANIFEST} is not a {FORMAT} backup")
    return manifest


def restore(settings: Settings, source: Path, progress: Progress | None = None) -> dict[str, Any]:
    """Copy the backup in `source` into KHO_DATA_DIR, which must be empty or absent, and its
    secrets into KHO_SECRETS_DIR; checks the backup is whole before copying anything."""
    require_embedded(settings, "restore")
    manifest = read_manifest(source)
    listed = list(_files(source / "store"))
    size = sum(st.st_size for _rel, st in listed)
    if len(listed) != manifest.get("files") or size != manifest.get("bytes"):
        raise BackupError(
            f"the backup in {source} is damaged: it should hold {manifest.get('files')} files "
            f"({manifest.get('bytes')} bytes), it holds {len(listed)} ({size} bytes)"
        )
    # Secrets already in place must be the backup's (another archive's would lock it out).
    secret_targets = _secret_sources(settings)
    for name, path in secret_targets.items():
        held = source / "secrets" / name
        if held.is_file() and path.exists() and path.read_bytes() != held.read_bytes():
            raise BackupError(
                f"{path} already holds another secret than the backup's {name}: restore "
                "with an empty KHO_SECRETS_DIR (or move that file away)"
            )
    data_dir = settings.data_dir
    _empty_folder(data_dir, "KHO_DATA_DIR")
    total = len(listed)
    if progress:
        progress(0, total)
    for done, (rel, _st) in enumerate(listed, 1):
        _copy(source / "store" / rel, data_dir / "store" / rel)
        if progress and (done % 200 == 0 or done == total):
            progress(done, total)
    for name in manifest.get("indexes", []):
        _copy(source / "index" / name, data_dir / "index" / name)
    restored: list[str] = []
    for name, path in secret_targets.items():
        held = source / "secrets" / name
        if held.is_file() and not path.exists():
            # The checkpoint is renamed for this archive's folder (secrets folders may be
            # shared); its content names the archive it was signed for, informatively.
            _copy_private(held, path)
            restored.append(name)
    os.sync()
    return {
        "restored": str(data_dir),
        "files": total,
        "bytes": size,
        "records": manifest.get("records"),
        "audit_seq": manifest.get("audit_seq"),
        "backup_created_at": manifest.get("created_at"),
        "secrets": restored,
    }
