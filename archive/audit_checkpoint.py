"""Signed checkpoints of the audit chain: the anchor that a rewritten or shortened trail
cannot match.

The hash chain (archive/audit.py) shows an edit only to someone who knows a hash from
before it: whoever can write the store can recompute every hash after an edit, or delete
the last batches together with the event index, and the chain checks out again. A
checkpoint fixes the chain's head — sequence number, head hash, time — under an Ed25519
signature made with a key that is NOT in the store (`KHO_AUDIT_CHECKPOINT_KEY`, a 0600 file
in `KHO_SECRETS_DIR`), optionally with an RFC 3161 timestamp from a TSA (`KHO_TSA_URL`) as
independent proof of when. `kho audit verify` then reports a trail that ends before the
latest checkpoint (truncated) or whose event at the checkpoint's number has another hash
(rewritten).

The latest checkpoint must itself be out of the store writer's reach, or an attacker would
simply delete it along with the tail. Where it is kept (the `CheckpointAnchor`):
- embedded default: a file in `KHO_SECRETS_DIR` beside the key, outside `KHO_DATA_DIR`, so
  write access to the archive folder (a backup agent, a shared mount) does not reach it;
- MinIO: create-only objects `audit/checkpoints/<seq>.json` under object lock in
  COMPLIANCE mode (archive/stores/minio_anchor.py), which no MinIO user can delete or
  shorten before the retention ends, not even the root user; hiding one behind a delete
  marker or a newer version does not help, as the reader looks at every version.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kho.archive.audit import ChainReport, _canonical
from kho.archive.secret_files import (
    SecretFileError,
    create_private,
    read_private,
    replace_private,
)

__all__ = [
    "AnchorReading",
    "Checkpoint",
    "CheckpointAnchor",
    "CheckpointKey",
    "LocalFileAnchor",
    "check_trail",
]

KIND = "kho.audit.checkpoint/1"


@dataclass(frozen=True)
class Checkpoint:
    """The chain's head at a moment, signed; `timestamp` is a DER RFC 3161 token (base64)
    over `digest()`, when a TSA was set."""

    seq: int
    head_hash: str
    at: str
    archive: str
    key_id: str
    signature: str = ""
    timestamp: str | None = None

    def body(self) -> dict[str, Any]:
        return {
            "kind": KIND,
            "seq": self.seq,
            "head_hash": self.head_hash,
            "at": self.at,
            "archive": self.archive,
            "key_id": self.key_id,
        }

    def digest(self) -> bytes:
        return hashlib.sha256(_canonical(self.body())).digest()

    def to_json(self) -> dict[str, Any]:
        return {**self.body(), "signature": self.signature, "timestamp": self.timestamp}

    def to_bytes(self) -> bytes:
        return _canonical(self.to_json())

    @classmethod
    def from_bytes(cls, data: bytes) -> Checkpoint:
        raw = json.loads(data)
        if not isinstance(raw, dict) or raw.get("kind") != KIND:
            raise ValueError("not an audit checkpoint")
        return cls(
            seq=int(raw["seq"]),
            head_hash=str(raw["head_hash"]),
            at=str(raw["at"]),
            archive=str(raw["archive"]),
            key_id=str(raw["key_id"]),
            signature=str(raw["signature"]),
            timestamp=str(raw["timestamp"]) if raw.get("timestamp") else None,
        )


class CheckpointKey:
    """The Ed25519 key that signs checkpoints, from a PEM file (mode 0600) made on first use.

    Every server of one archive must use the same file: a checkpoint signed by another key
    fails verification (its `key_id` says which key made it)."""

    def __init__(self, private: Ed25519PrivateKey) -> None:
        self._private = private
        self.public = private.public_key()
        raw = self.public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.key_id = hashlib.sha256(raw).hexdigest()[:16]

    @classmethod
    def load_or_create(cls, path: Path) -> CheckpointKey:
        pem = read_private(path)
        if pem is None:
            fresh = Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            pem = create_private(path, fresh)
        try:
            key = serialization.load_pem_private_key(pem, password=None)
        except (ValueError, TypeError) as exc:
            raise SecretFileError(f"{path} is not an unencrypted PEM private key ({exc})") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise SecretFileError(f"{path} holds a key that is not Ed25519")
        return cls(key)

    def sign(self, checkpoint: Checkpoint) -> Checkpoint:
        unsigned = replace(checkpoint, key_id=self.key_id, signature="", timestamp=None)
        signature = self._private.sign(_canonical(unsigned.body()))
        return replace(unsigned, signature=base64.b64encode(signature).decode("ascii"))

    def problem(self, checkpoint: Checkpoint) -> str | None:
        """Why `checkpoint` is not one this key signed; None when it is."""
        if checkpoint.key_id != self.key_id:
            return (
                f"signed by key {checkpoint.key_id}, not this archive's key {self.key_id} "
                "(every server must use the same KHO_AUDIT_CHECKPOINT_KEY)"
            )
        try:
            self.public.verify(
                base64.b64decode(checkpoint.signature, validate=True),
                _canonical(checkpoint.body()),
            )
        except (InvalidSignature, ValueError):
            return "its signature does not verify: it was forged or edited"
        return None


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
