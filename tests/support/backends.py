"""Which backends the tests run against, and how to build each one for a test.

KHO_TEST_BACKENDS chooses: "embedded" (the default: local folder, SQLite FTS5, pypdf) and/or
"distributed" (MinIO, Elasticsearch, Tika, as started by `scripts/services start`). The test
command (scripts/test) asks for both. A requested backend that cannot be reached fails the
tests that use it; it is never skipped.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

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


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


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
        )
    return overrides
