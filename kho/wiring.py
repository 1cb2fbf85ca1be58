"""The composition root: backends chosen by the settings, assembled into the services.

This is the one place that knows which implementation stands behind each Protocol; the
distributed backends' client libraries are imported only when chosen.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from kho.archive.agencies import AgencyRegistry, RegistryError
from kho.archive.audit import AuditTrail
from kho.archive.audit.anchor import CheckpointAnchor, LocalFileAnchor
from kho.archive.package import Packages
from kho.archive.signatures import install as install_signatures
from kho.archive.store import ObjectStore
from kho.indexer.events import AuditIndex
from kho.indexer.extract import Extractor
from kho.indexer.index import SearchIndex
from kho.indexer.indicators import IndicatorAggregate
from kho.retention.schedule import RetentionSchedule
from kho.services import Services
from kho.services.base import Backends, utc_now
from kho.services.indicator_targets import TargetError, Targets
from kho.settings import (
    ExtractorBackend,
    SearchBackend,
    Settings,
    SettingsError,
    StorageBackend,
)

__all__ = [
    "build_anchor",
    "build_audit_index",
    "build_audit_trail",
    "build_extractor",
    "build_index",
    "build_indicator_aggregate",
    "build_services",
    "build_store",
]


def build_store(settings: Settings) -> ObjectStore:
    if settings.storage is StorageBackend.minio:
        from kho.archive.stores.minio import MinioObjectStore

        return MinioObjectStore.from_settings(settings)
    from kho.archive.stores.local import LocalObjectStore

    return LocalObjectStore(settings.data_dir / "store")


def build_index(settings: Settings) -> SearchIndex:
    if settings.search is SearchBackend.elasticsearch:
        from kho.indexer.engines.elasticsearch import ElasticsearchIndex

        return ElasticsearchIndex.from_settings(settings)
    from kho.indexer.engines.embedded import EmbeddedSearchIndex

    return EmbeddedSearchIndex(settings.data_dir / "index" / "kho.sqlite3")


def build_audit_index(settings: Settings) -> AuditIndex:
    if settings.search is SearchBackend.elasticsearch:
        from kho.indexer.engines.elasticsearch_audit import ElasticsearchAuditIndex

        return ElasticsearchAuditIndex.from_settings(settings)
    from kho.indexer.engines.embedded_audit import EmbeddedAuditIndex

    return EmbeddedAuditIndex(settings.data_dir / "index" / "audit.sqlite3")


def build_audit_trail(settings: Settings, store: ObjectStore) -> AuditTrail:
    return AuditTrail(
        store,
        segment_events=settings.audit_segment_events,
        seal_after=timedelta(seconds=settings.audit_seal_after_s),
        retain_for=timedelta(days=round(365.25 * settings.audit_retain_years)),
    )


def build_anchor(settings: Settings) -> CheckpointAnchor:
    """Where the latest audit checkpoint is kept, out of the store writer's reach: on MinIO
    a create-only object under COMPLIANCE object lock, else a file in KHO_SECRETS_DIR."""
    retain_for = timedelta(days=round(365.25 * settings.audit_retain_years))
    if settings.storage is StorageBackend.minio:
        from kho.archive.stores.minio import MinioObjectStore
        from kho.archive.stores.minio_anchor import MinioCheckpointAnchor

        locked = MinioObjectStore.from_settings(settings)
        locked.lock_mode = settings.audit_checkpoint_lock_mode
        return MinioCheckpointAnchor(locked, retain_until=lambda: utc_now() + retain_for)
    from kho.services.checkpoints import local_anchor_file

    return LocalFileAnchor(settings.secrets_folder / local_anchor_file(settings))


def build_extractor(settings: Settings) -> Extractor:
    """Extraction bounded in bytes, memory and time in worker processes (the embedded
    extraction itself, or a check before Tika's)."""
    from kho.indexer.extractors.sandbox import ExtractionLimits, SandboxedExtractor

    limits = ExtractionLimits(
        max_bytes=settings.max_extract_bytes,
        inflate_ratio=settings.max_inflate_ratio,
        memory_bytes=settings.extract_memory_mb * 1024 * 1024,
        timeout_s=settings.extraction_timeout_s,
        max_pages=settings.max_pages,
    )
    inner: Extractor | None = None
    if settings.extractor is ExtractorBackend.tika:
        from kho.indexer.extractors.tika import TikaExtractor

        inner = TikaExtractor.from_settings(settings)
    return SandboxedExtractor(limits, workers=settings.extract_workers, inner=inner)


def build_registry(path: Path | None) -> AgencyRegistry | None:
    if path is None:
        return None
    try:
        return AgencyRegistry.parse(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SettingsError(f"KHO_AGENCY_REGISTRY: cannot read {path}: {exc}") from None
    except RegistryError as exc:
        raise SettingsError(f"KHO_AGENCY_REGISTRY: {path}: {exc}") from None


def build_targets(path: Path | None) -> Targets:
    try:
        return Targets.load(path)
    except TargetError as exc:
        raise SettingsError(f"KHO_INDICATOR_TARGETS: {exc}") from None


def build_indicator_aggregate(settings: Settings) -> IndicatorAggregate:
    """SQLite on every stack: a local view of the shared store and trail, kept in step
    and rebuilt by each server from them (indexer/indicators.py)."""
    from kho.indexer.engines.embedded_indicators import EmbeddedIndicatorAggregate

    return EmbeddedIndicatorAggregate(settings.data_dir / "index" / "indicators.sqlite3")


def build_services(settings: Settings) -> Services:
    # Library speed-ups for signature validation, installed here once, not at import.
    install_signatures()
    store = build_store(settings)
    backends = Backends(
        settings=settings,
        store=store,
        index=build_index(settings),
        extractor=build_extractor(settings),
        packages=Packages(store),
        trail=build_audit_trail(settings, store),
        schedule=RetentionSchedule.load(settings.retention_schedule),
        audit_index=build_audit_index(settings),
        anchor=build_anchor(settings),
    )
    return Services(
        backends,
        registry=build_registry(settings.agency_registry),
        indicator_aggregate=build_indicator_aggregate(settings),
        targets=build_targets(settings.indicator_targets),
    )
