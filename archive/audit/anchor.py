"""Where the latest checkpoint is kept (the anchor), and what it says of the trail.

The anchor must be out of the store writer's reach (checkpoint.py says why): a file in
KHO_SECRETS_DIR on the embedded default (`LocalFileAnchor`), create-only objects under
COMPLIANCE object lock on MinIO (archive/stores/minio_anchor.py). `check_trail` judges a
verified chain against the latest validly signed checkpoint.
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from kho.archive.secret_files import create_private, read_private, replace_private

from .checkpoint import Checkpoint, CheckpointKey
from .verify import ChainReport

__all__ = ["AnchorReading", "CheckpointAnchor", "LocalFileAnchor", "check_trail", "read_candidates"]


@dataclass(frozen=True)
class AnchorReading:
    """The latest checkpoint an anchor holds that the key signed, and what else it found
    (objects that claim to be checkpoints but are not validly signed)."""

    checkpoint: Checkpoint | None
    problems: tuple[str, ...] = ()


@runtime_checkable
class CheckpointAnchor(Protocol):
    """Where the latest checkpoint is kept, out of reach of the store's writer."""

    name: str

    def write(self, checkpoint: Checkpoint) -> None:
        """Keep `checkpoint` durably; a checkpoint older than one already kept changes
        nothing (the anchor never goes back)."""
        ...

    def latest(self, key: CheckpointKey) -> AnchorReading:
        """The checkpoint with the highest sequence number that `key` signed."""
        ...

    def close(self) -> None: ...


def read_candidates(
    candidates: Iterator[tuple[str, bytes]], key: CheckpointKey, seq_of: Callable[[str], int | None]
) -> AnchorReading:
    """The first validly signed checkpoint among `candidates` (given highest first, with
    where each came from), and a problem for each invalid one met before it."""
    problems: list[str] = []
    for where, data in candidates:
        try:
            checkpoint = Checkpoint.from_bytes(data)
        except (ValueError, KeyError, TypeError) as exc:
            problems.append(f"{where} is not a readable checkpoint ({exc})")
            continue
        named = seq_of(where)
        if named is not None and named != checkpoint.seq:
            problems.append(f"{where} holds the checkpoint of event {checkpoint.seq} (replayed)")
            continue
        problem = key.problem(checkpoint)
        if problem is not None:
            problems.append(f"{where}: {problem}")
            continue
        return AnchorReading(checkpoint, tuple(problems))
    return AnchorReading(None, tuple(problems))


class LocalFileAnchor:
    """The latest checkpoint in one file outside the data folder (mode 0600), replaced
    whole under a lock, only by a later checkpoint."""

    name = "file"

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        create_private(self.path.with_suffix(".lock"), b"")
        with self.path.with_suffix(".lock").open("rb") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def write(self, checkpoint: Checkpoint) -> None:
        with self._locked():
            held = read_private(self.path)
            if held is not None:
                with contextlib.suppress(ValueError, KeyError, TypeError):
                    if Checkpoint.from_bytes(held).seq >= checkpoint.seq:
                        return
            replace_private(self.path, checkpoint.to_bytes())

    def latest(self, key: CheckpointKey) -> AnchorReading:
        held = read_private(self.path)
        if held is None:
            return AnchorReading(None)
        return read_candidates(iter([(str(self.path), held)]), key, lambda _where: None)

    def close(self) -> None:
        return None


def check_trail(
    report: ChainReport,
    reading: AnchorReading,
    hash_at: Callable[[int], str | None],
    timestamp_problem: Callable[[Checkpoint], str | None] = lambda _c: None,
) -> ChainReport:
    """`report` with the anchor's verdict: broken if the anchor holds forged checkpoints, if
    the trail is shorter than the latest checkpoint, or if its event at the checkpoint's
    number has another hash (the trail was rewritten at or before it)."""
    checkpoint = reading.checkpoint
    info: dict[str, Any] = {"status": "none" if checkpoint is None else "matches"}
    if checkpoint is not None:
        info.update(seq=checkpoint.seq, head_hash=checkpoint.head_hash, at=checkpoint.at)
        info["timestamped"] = checkpoint.timestamp is not None

    def broken(status: str, seq: int | None, reason: str) -> ChainReport:
        info["status"] = status
        if not report.ok:  # the chain's own first break comes first
            return replace(report, checkpoint=info)
        return replace(
            report,
            ok=False,
            first_bad_seq=seq,
            reason=reason,
            location="audit checkpoint",
            checkpoint=info,
        )

    if reading.problems:
        info["problems"] = list(reading.problems)
        return broken(
            "forged", None, "the audit anchor holds a bad checkpoint: " + reading.problems[0]
        )
    if checkpoint is None:
        return replace(report, checkpoint=info)
    when = datetime.fromisoformat(checkpoint.at).isoformat()
    # On a broken chain `last_seq` is the last event that checked out: what it is judged by.
    if report.last_seq < checkpoint.seq:
        return broken(
            "shorter",
            report.last_seq + 1,
            f"the trail ends at event {report.last_seq}, but the checkpoint signed at {when} "
            f"attests events up to {checkpoint.seq}: events {report.last_seq + 1}.."
            f"{checkpoint.seq} were removed",
        )
    if hash_at(checkpoint.seq) != checkpoint.head_hash:
        return broken(
            "diverges",
            checkpoint.seq,
            f"event {checkpoint.seq} does not have the hash the checkpoint signed at {when} "
            "attests: the trail was rewritten at or before that event",
        )
    stamp = timestamp_problem(checkpoint) if checkpoint.timestamp else None
    if stamp is not None:
        return broken("bad-timestamp", checkpoint.seq, f"the checkpoint's timestamp {stamp}")
    return replace(report, checkpoint=info)
