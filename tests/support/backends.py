"""Which backends the tests run against, and how to build each one for a test.

KHO_TEST_BACKENDS chooses: "embedded" (the default: local folder, SQLite FTS5, pypdf) and/or
"distributed" (MinIO, Elasticsearch, Tika, as started by `scripts/services start`). The test
command (scripts/test) asks for both. A requested backend that cannot be reached fails the
tests that use it; it is never skipped.
"""

from __future__ import annotations

import os
import subprocess
import uuid
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kho.settings import Settings

STORE_KINDS = {"embedded": "local", "distributed": "minio"}
INDEX_KINDS = {"embedded": "embedded", "distributed": "elasticsearch"}
EXTRACTOR_KINDS = {"embedded": "embedded", "distributed": "tika"}


def requested() -> list[str]:
    raw = os.environ.get("KHO_TEST_BACKENDS", "embedded")
    kinds = [k.strip() for k in raw.split(",") if k.strip()]
    unknown = set(kinds) - {"embedded", "distributed"}
    if unknown:
        raise RuntimeError(f"KHO_TEST_BACKENDS: unknown {sorted(unknown)}")
    return kinds


def services_env() -> dict[str, str]:
    """The KHO_* settings of the running services (scripts/services env)."""
    folder = Path(os.environ.get("KHO_SERVICES_DIR", "/tmp/kho-services"))
    path = folder / "services.env"
    if not path.is_file():
        raise RuntimeError(
            f"KHO_TEST_BACKENDS asks for the distributed backends but {path} is missing: "
            "run `scripts/services install && scripts/services start` first"
        )
    env: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            env[key.strip()] = value.strip()
    return env


REPO = Path(__file__).resolve().parents[2]


class Engines:
    """Stops and starts the real servers with `scripts/services` (integration tests only)."""

    def __init__(self) -> None:
        self.stopped: list[str] = []

    @staticmethod
    def _run(*args: str) -> None:
        done = subprocess.run(
            [str(REPO / "scripts" / "services"), *args],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"scripts/services {' '.join(args)} failed:\n{done.stdout}{done.stderr}"
            )

    def stop(self, name: str) -> None:
        self.stopped.append(name)
        self._run("stop", name)

    def start(self, name: str) -> None:
        self._run("start", name)
        self.stopped.remove(name)

    def restart_stopped(self) -> None:
        for name in list(self.stopped):
            self.start(name)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def clean_up(settings: Settings) -> None:
    """Remove what a test left on the shared servers: its MinIO bucket (every version, past
    GOVERNANCE retention, as the root user may) and its Elasticsearch indices."""
    if settings.storage == "minio":
        _remove_bucket(settings)
    if settings.search == "elasticsearch":
        remove_indices(settings)


def _remove_bucket(settings: Settings) -> None:
    from minio import Minio
    from minio.deleteobjects import DeleteObject
    from minio.error import S3Error

    client = Minio(
        settings.minio_endpoint,
        access_key=settings.minio_access_key,
        secret_key=settings.minio_secret_key,
        secure=settings.minio_secure,
    )
    bucket = settings.minio_bucket
    try:
        if not client.bucket_exists(bucket):
            return
        versions = [
            DeleteObject(o.object_name, o.version_id)
            for o in client.list_objects(bucket, recursive=True, include_version=True)
            if o.object_name
        ]
        errors = list(client.remove_objects(bucket, versions, bypass_governance_mode=True))
        if errors:
            warnings.warn(f"bucket {bucket}: {len(errors)} objects not removed", stacklevel=2)
            return
        client.remove_bucket(bucket)
    except S3Error as exc:
        warnings.warn(f"bucket {bucket} not removed: {exc}", stacklevel=2)


def remove_indices(settings: Settings) -> None:
    from elasticsearch import Elasticsearch

    with Elasticsearch(settings.es_url, request_timeout=30) as es:
        # Named one by one: ES refuses wildcard deletes (action.destructive_requires_name).
        names = sorted(
            es.indices.get(
                index=f"{settings.es_index}-*", allow_no_indices=True, expand_wildcards="all"
            ).body
        )
        for name in names:
            es.indices.delete(index=name, ignore_unavailable=True)


def settings_overrides(stack: str, tmp_path: Path) -> dict[str, object]:
    """Settings for a whole Kho on `stack`, isolated from every other test."""
    overrides: dict[str, object] = {"data_dir": tmp_path / "kho-data"}
    if stack == "distributed":
        env = services_env()
        overrides.update(
            storage="minio",
            search="elasticsearch",
            extractor="tika",
            minio_endpoint=env["KHO_MINIO_ENDPOINT"],
            minio_access_key=env["KHO_MINIO_ACCESS_KEY"],
            minio_secret_key=env["KHO_MINIO_SECRET_KEY"],
            minio_bucket=unique("kho-test"),
            minio_secure=False,
            es_url=env["KHO_ES_URL"],
            es_index=unique("kho-test"),
            tika_url=env["KHO_TIKA_URL"],
            # Checkpoints under GOVERNANCE, so the bucket can be removed after the test;
            # tests/archive/test_audit_anchor.py checks the COMPLIANCE default itself.
            audit_checkpoint_lock_mode="GOVERNANCE",
            # Originals too (tests/archive/test_worm.py checks COMPLIANCE on real MinIO).
            retention_lock_mode="GOVERNANCE",
        )
        _handed_out.append(dict(overrides))
    return overrides


# The distributed settings handed out this session, swept at its end: not every test builds
# its Kho through the `settings` fixture (which cleans up at once), and leftover indices would
# pile up to Elasticsearch's limit of shards per node.
_handed_out: list[dict[str, object]] = []


def clean_up_session() -> None:
    from kho.settings import load_settings

    while _handed_out:
        overrides = _handed_out.pop()
        try:
            clean_up(load_settings(_env_file=None, **overrides))
        except Exception as exc:  # a sweep must not fail the session
            warnings.warn(f"could not clean up {overrides.get('es_index')}: {exc}", stacklevel=2)
