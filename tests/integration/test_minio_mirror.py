"""The distributed stack's backup: a mirror of the versioned, object-locked bucket (README
"Running at scale", `mc mirror` or bucket replication). Here the mirror is made with the
minio client, version by version with each version's retention and legal hold, into a
second bucket made with object lock; a Kho pointed at it (with a copy of KHO_SECRETS_DIR and
an index rebuilt by `kho reindex`) gives the same answers, and fixity and the audit
verification pass on it."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from minio import Minio
from minio.commonconfig import CopySource
from support.backends import clean_up, unique

from kho.services import Access, Services
from kho.services.queries import LookupQuery
from kho.settings import Settings
from kho.wiring import build_services

PURPOSE = "000.00.15.H62-261123-0001"


def mirror_bucket(client: Minio, source: str, target: str) -> int:
    """Every version of every object of `source`, oldest first, into `target` (which has
    object lock), with its retention and legal hold; a delete marker as a delete. Returns
    how many versions were copied."""
    versions = sorted(
        client.list_objects(source, recursive=True, include_version=True),
        key=lambda o: (o.object_name or "", o.last_modified),
    )
    copied = 0
    for version in versions:
        name = version.object_name
        assert name is not None
        if version.is_delete_marker:
            client.remove_object(target, name)
            continue
        retention = client.get_object_retention(source, name, version.version_id)
        held = client.is_object_legal_hold_enabled(source, name, version.version_id)
        client.copy_object(
            target,
            name,
            CopySource(source, name, version_id=version.version_id),
            retention=retention,
            legal_hold=held,
        )
        copied += 1
    return copied


def _answers(services: Services, record_ids: list[str]) -> dict[str, Any]:
    access = Access.system(purpose=PURPOSE)
    page = services.lookup.lookup(
        LookupQuery(subject_id="001203001234", include_invalid=True, page_size=100), access
    )
    return {
        "records": {r: services.records.get(r, access) for r in record_ids},
        "contents": {r: b"".join(services.records.content(r, access).chunks) for r in record_ids},
        "lookup": sorted((i["record_id"], i["status"], i["reusable"]) for i in page.items),
    }


def test_a_mirror_of_the_bucket_restores_the_archive(
    settings: Settings,
    tmp_path: Path,
    signed_pdf: Callable[..., bytes],
    metadata: Callable[..., dict[str, Any]],
) -> None:
    services = build_services(settings)
    access = Access.system(purpose=PURPOSE)
    try:
        record_ids = []
        for n in range(4):
            outcome = services.deposit.deposit(
                signed_pdf("GIẤY KHAI SINH", ("Số thứ tự", f"ban-sao-{n}")),
                "kq.pdf",
                metadata(),
                Access.system(),
            )
            record_ids.append(outcome.record["record_id"])
        services.lifecycle.revoke(record_ids[0], "cấp nhầm", Access.system())
        _key, token = services.keys.create(
            agency="000.00.15.H62", scopes={"records:read"}, access=Access.system()
        )
        services.audit.seal(force=True)  # a WORM segment and a checkpoint in the bucket
        before = _answers(services, record_ids)
        services.audit.flush()
    finally:
        services.close()

    client = Minio(
        settings.minio_endpoint,
        access_key=settings.minio_access_key,
        secret_key=settings.minio_secret_key,
        secure=settings.minio_secure,
    )
    mirror = settings.model_copy(
        update={
            "minio_bucket": unique("kho-mirror"),
            "es_index": unique("kho-test"),
            "data_dir": tmp_path / "restored" / "kho-data",
            "secrets_dir": tmp_path / "restored" / "secrets",
        }
    )
    try:
        client.make_bucket(mirror.minio_bucket, object_lock=True)
        assert mirror_bucket(client, settings.minio_bucket, mirror.minio_bucket) > 0
        # The secrets are not in the bucket: the operator keeps a copy of KHO_SECRETS_DIR.
        shutil.copytree(settings.secrets_folder, mirror.secrets_folder)

        restored = build_services(mirror)
        try:
            assert restored.indexing.reindex() == len(record_ids)
            after = _answers(restored, record_ids)
            assert after == before
            assert after["lookup"] and any(not reusable for _r, _s, reusable in after["lookup"])
            assert restored.keys.authenticate(token).agency == "000.00.15.H62"
            assert restored.fixity.run(access).ok
            report = restored.audit.verify()
            assert report.ok, report
            assert report.checkpoint is not None and report.checkpoint["status"] == "matches"
        finally:
            restored.close()
    finally:
        clean_up(mirror)
