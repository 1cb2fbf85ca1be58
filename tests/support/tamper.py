"""Rewriting stored objects behind Kho's back, as someone with write access to the store
would: straight into the folder on the embedded default, with the MinIO client on MinIO."""

from __future__ import annotations

import io
from pathlib import Path

from kho.settings import Settings


def overwrite(settings: Settings, key: str, data: bytes) -> None:
    """Replace the object `key` with `data`, bypassing Kho (a new version on MinIO)."""
    if settings.storage == "minio":
        client = minio_client(settings)
        client.put_object(settings.minio_bucket, key, io.BytesIO(data), len(data))
        return
    path = Path(settings.data_dir, "store", *key.split("/"))
    path.chmod(0o644)
    path.write_bytes(data)


def remove(settings: Settings, key: str) -> None:
    """Remove the object `key` (every version, past governance retention, on MinIO)."""
    if settings.storage == "minio":
        client = minio_client(settings)
        for version in client.list_objects(
            settings.minio_bucket, prefix=key, include_version=True
        ):
            if version.object_name == key:
                client.remove_object(
                    settings.minio_bucket, key, version_id=version.version_id
                )
        return
    Path(settings.data_dir, "store", *key.split("/")).unlink()


def minio_client(settings: Settings):  # type: ignore[no-untyped-def]
    from minio import Minio

    return Minio(
        settings.minio_endpoint,
        access_key=settings.minio_access_key,
        secret_key=settings.minio_secret_key,
        secure=settings.minio_secure,
    )
