"""Anchoring the audit trail: signed checkpoints of its head, written as it grows, and the
trail judged against the latest one (archive/audit/checkpoint.py and anchor.py say why and where).

A checkpoint is written after every seal, whenever `KHO_AUDIT_CHECKPOINT_EVENTS` events
were made durable since the last one, and on the first events after
`KHO_AUDIT_CHECKPOINT_AFTER_S` seconds without one — each time from a background thread,
so no request waits on signing, the TSA or the anchor. What happens after the latest
checkpoint is anchored only by the next one: the window an attacker has is that interval.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from kho.archive.audit import AuditEvent, ChainReport
from kho.archive.audit.anchor import check_trail
from kho.archive.audit.checkpoint import Checkpoint, CheckpointKey
from kho.archive.audit.timestamp import (
    TimestampUnavailable,
    request_timestamp,
    timestamp_problem,
)
from kho.archive.secret_files import SecretFileError
from kho.errors import KhoError
from kho.services.base import Backends
from kho.settings import Settings, SettingsError

__all__ = ["CheckpointKeyError", "CheckpointService", "archive_name", "local_anchor_file"]

log = logging.getLogger(__name__)


class CheckpointKeyError(SettingsError):
    """The checkpoint signing key cannot be read or made (CLI exit 78)."""


def archive_name(settings: Settings) -> str:
    """Which archive a checkpoint is of (informative; the signature binds it)."""
    if settings.storage == "minio":
        return f"minio:{settings.minio_endpoint}/{settings.minio_bucket}"
    return f"local:{settings.data_dir.resolve()}"


def local_anchor_file(settings: Settings) -> str:
    """The anchor file's name in KHO_SECRETS_DIR, one per archive (folders may be shared)."""
    digest = hashlib.sha256(archive_name(settings).encode()).hexdigest()[:12]
    return f"audit-anchor-{digest}.json"


class CheckpointService:
    def __init__(self, backends: Backends) -> None:
        self.b = backends
        self.anchor = backends.anchor
        self._key: CheckpointKey | None = None
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._head: tuple[int, str] | None = None
        self._since = 0
        self._last_seq: int | None = None  # None: the anchor was not read yet
        self._last_at: datetime | None = None
        self._thread: threading.Thread | None = None
        if self.anchor is not None:
            backends.trail.add_listener(self._durable)

    def key(self) -> CheckpointKey:
        if self._key is None:
            path = self.b.settings.checkpoint_key_path
            try:
                self._key = CheckpointKey.load_or_create(path)
            except SecretFileError as exc:
                raise CheckpointKeyError(f"KHO_AUDIT_CHECKPOINT_KEY: {exc}") from None
        return self._key

    # -- writing -----------------------------------------------------------------------

    def _durable(self, events: Sequence[AuditEvent]) -> None:
        with self._lock:
            self._head = (events[-1].seq, events[-1].hash)
            self._since += len(events)
            if self._due_locked() and (self._thread is None or not self._thread.is_alive()):
                self._thread = threading.Thread(
                    target=self._write_quietly, name="kho-audit-checkpoint", daemon=True
                )
                self._thread.start()

    def _due_locked(self) -> bool:
        settings = self.b.settings
        if self._last_seq is None or self._last_at is None:
            return True  # learn from the anchor (in the background) when the last one was
        age = (self.b.now() - self._last_at).total_seconds()
        return self._since >= settings.audit_checkpoint_events or (
            age >= settings.audit_checkpoint_after_s and self._since > 0
        )

    def _write_quietly(self) -> None:
        try:
            if self._last_seq is None:
                self._learn()
            with self._lock:
                due, head = self._due_locked(), self._head
            if due and head is not None:
                self.write(head)
        except (KhoError, SettingsError, OSError) as exc:
            log.warning("audit checkpoint not written: %s", getattr(exc, "detail", exc))
        except Exception as exc:  # retried at the next trigger
            log.error("audit checkpoint: %s: %s", type(exc).__name__, exc)

    def _learn(self) -> None:
        assert self.anchor is not None
        latest = self.anchor.latest(self.key()).checkpoint
        with self._lock:
            self._last_seq = latest.seq if latest else 0
            self._last_at = datetime.fromisoformat(latest.at) if latest else datetime.min
            if self._last_at.tzinfo is None:
                self._last_at = self._last_at.replace(tzinfo=self.b.now().tzinfo)

    def write(self, head: tuple[int, str] | None = None) -> Checkpoint | None:
        """Sign and anchor a checkpoint of `head` (default: the trail's head now); None when
        there is no anchor, no event, or nothing new since this process's last one."""
        if self.anchor is None:
            return None
        with self._write_lock:
            seq, head_hash = head or self.b.trail.head()
            if seq == 0 or (self._last_seq is not None and seq <= self._last_seq):
                return None
            now = self.b.now()
            checkpoint = self.key().sign(
                Checkpoint(
                    seq=seq,
                    head_hash=head_hash,
                    at=now.isoformat(),
                    archive=archive_name(self.b.settings),
                    key_id="",
                )
            )
            if self.b.settings.tsa_url:
                try:
                    token = request_timestamp(
                        self.b.settings.tsa_url,
                        checkpoint.digest(),
                        timeout_s=self.b.settings.backend_timeout_s,
                    )
                    checkpoint = replace(checkpoint, timestamp=token)
                except TimestampUnavailable as exc:
                    log.warning("audit checkpoint of event %d has no timestamp: %s", seq, exc)
            self.anchor.write(checkpoint)
            with self._lock:
                self._last_seq, self._last_at = seq, now
                self._since = max(0, (self._head[0] if self._head else seq) - seq)
            return checkpoint

    def close(self) -> None:
        thread = self._thread
        if thread is not None:
            thread.join(timeout=10)

    # -- judging -----------------------------------------------------------------------

    def judge(self, report: ChainReport) -> ChainReport:
        """`report` (of the chain alone) with the latest checkpoint's verdict."""
        if self.anchor is None:
            return report
        reading = self.anchor.latest(self.key())

        def hash_at(seq: int) -> str | None:
            for event in self.b.trail.events(seq):
                return event.hash if event.seq == seq else None
            return None

        return check_trail(
            report,
            reading,
            hash_at,
            lambda c: timestamp_problem(c.timestamp, c.digest()) if c.timestamp else None,
        )
