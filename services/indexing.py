"""Keeping the index in step with the object store: one record, the outbox, a full rebuild."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from kho.archive.errors import ObjectNotFound
from kho.archive.manifest import Manifest
from kho.indexer.errors import IndexUnavailable
from kho.indexer.index import IndexDocument
from kho.services.base import Backends
from kho.services.views import index_document

__all__ = ["IndexingService", "Progress"]

log = logging.getLogger(__name__)

Progress = Callable[[int, int | None], None]


class IndexingService:
    def __init__(self, backends: Backends) -> None:
        self.b = backends

    @property
    def index_name(self) -> str:
        """Which engine the index is (`embedded`, `elasticsearch`)."""
        return self.b.index.name

    def count(self) -> int:
        """How many records the index holds; IndexUnavailable if it is down."""
        return self.b.index.count()

    def document(self, record_id: str) -> IndexDocument:
        manifest = self.b.packages.latest_manifest(record_id)
        try:
            text = "\n\f".join(self.b.packages.get_text(record_id))
        except ObjectNotFound:
            text = ""
        return index_document(manifest, text, self.b.settings.zone)

    def index_record(self, record_id: str) -> bool:
        """Index one record now, as the store holds it; False (and the outbox keeps it) if
        the index is down."""
        return self._upsert(record_id, lambda: self.document(record_id))

    def index(self, manifest: Manifest, page_texts: Sequence[str]) -> bool:
        """Index a record from what the caller holds (a deposit: its manifest and page
        texts), without reading them back from the store; False if the index is down."""
        return self._upsert(
            manifest.record_id,
            lambda: index_document(manifest, "\n\f".join(page_texts), self.b.settings.zone),
        )

    def _upsert(self, record_id: str, document: Callable[[], IndexDocument]) -> bool:
        try:
            self.b.index.upsert([document()])
        except IndexUnavailable as exc:
            log.warning("record %s not indexed yet: %s", record_id, exc.detail)
            return False
        return True

    def drain_outbox(self) -> int:
        """Index every record whose index update is pending; returns how many were done.

        Entries without a claim are deposits that have not completed (yet): they are left
        alone while young and removed once abandoned.
        """
        done = 0
        now = self.b.now()
        for record_id, at in list(self.b.packages.outbox()):
            try:
                manifest = self.b.packages.latest_manifest(record_id)
            except ObjectNotFound:
                manifest = None
            if manifest is None or not self.b.packages.is_claimed(
                record_id, manifest.issuer_code, manifest.result_code
            ):
                if self.b.packages.abandoned(at, now):
                    self.b.packages.remove_outbox(record_id)
                continue
            if not self.index_record(record_id):
                break  # the index is down; try again later
            self.b.packages.remove_outbox(record_id)
            done += 1
        return done

    def reindex(self, progress: Progress | None = None, *, batch: int = 200) -> int:
        """Rebuild the whole index from the object store alone; readers see the old index
        until the new one is complete.

        The rebuild starts before the store is listed: a deposit claimed after the listing
        then reaches the new index too (dual writes on Elasticsearch; on the embedded engine
        it waits in the outbox while the rebuild holds the write lock).
        """
        rebuild = self.b.index.rebuild()
        done = 0
        try:
            record_ids = sorted(set(self.b.packages.record_ids()))
            total = len(record_ids)
            pending: list[IndexDocument] = []
            for record_id in record_ids:
                pending.append(self.document(record_id))
                if len(pending) >= batch:
                    rebuild.add(pending)
                    done += len(pending)
                    pending = []
                    if progress:
                        progress(done, total)
            if pending:
                rebuild.add(pending)
                done += len(pending)
            rebuild.commit()
        except BaseException:
            rebuild.abort()
            raise
        if progress:
            progress(done, total)
        return done
