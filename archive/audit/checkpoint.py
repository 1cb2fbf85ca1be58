"""Signed checkpoints of the audit chain: the anchor that a rewritten or shortened trail
cannot match.

The hash chain (this package) shows an edit only to someone who knows a hash from
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
import hashlib
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kho.archive.secret_files import SecretFileError, create_private, read_private

from .event import canonical

__all__ = ["Checkpoint", "CheckpointKey"]

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
        return hashlib.sha256(canonical(self.body())).digest()

    def to_json(self) -> dict[str, Any]:
        return {**self.body(), "signature": self.signature, "timestamp": self.timestamp}

    def to_bytes(self) -> bytes:
        return canonical(self.to_json())

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
        signature = self._private.sign(canonical(unsigned.body()))
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
                canonical(checkpoint.body()),
            )
        except (InvalidSignature, ValueError):
            return "its signature does not verify: it was forged or edited"
        return None


