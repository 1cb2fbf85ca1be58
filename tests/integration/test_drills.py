"""Outgrowing one machine, rehearsed on loopback (README "Running at scale" → "Drills";
`scripts/drills NAME` runs one):

- minio-drive: MinIO as one erasure-coded server over four drives; a drive's folder is
  removed while deposits run: every acknowledged record stays readable and passes fixity,
  deposits go on; an empty drive put back is healed by MinIO itself, proven by then losing
  the two other drives and still reading every object.
- es-node: Elasticsearch as two nodes with a replica of every index; the node holding the
  primaries is stopped: lookups, searches and deposits go on (indexed at once); the node
  comes back and the cluster is green again.

The Tika drill (Tika stopped while depositing) is in test_outages.py with the other
outages of the shared servers. Each drill starts its own processes on free ports from the
binaries `scripts/services install` cached, and stops them after.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from support.drills import ErasureMinIO, ESCluster, http_json, wait_for

from kho.demo.pki import TestPKI
from kho.errors import KhoError
from kho.indexer.index import LookupQuery, SearchQuery
from kho.services import Access, Services
from kho.settings import load_settings
from kho.wiring import build_services

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SYSTEM = Access.system(purpose="000.00.15.H62-261123-0001")
DUC = "001203001234"
Pdf = Callable[..., bytes]
Meta = Callable[..., dict[str, Any]]


@pytest.fixture
def drill_root() -> Iterator[Path]:
    """A folder the engines' own user can reach (pytest's tmp folders are mode 700)."""
    root = Path(tempfile.mkdtemp(prefix="kho-drill-", dir="/tmp"))
    os.chmod(root, 0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def kho(tmp_path: Path, pki: TestPKI, **overrides: Any) -> Services:
    settings = load_settings(
        _env_file=None,
        data_dir=tmp_path / "kho-data",
        trust_roots=[pki.root_cert_path],
        trust_intermediates=list(pki.intermediate_cert_paths),
        crls=list(pki.crl_paths),
        **overrides,
    )
    return build_services(settings)


def result(signed_pdf: Pdf, n: int) -> bytes:
    """A distinct signed result (its own bytes, so its own record)."""
    return signed_pdf("GIẤY KHAI SINH", ("Họ, chữ đệm, tên", "TRẦN VĂN ĐỨC"), ("Số", f"{n}/2026"))


def pull_out(drive: Path) -> None:
    """The drive's folder gone at once (renamed away, then deleted: MinIO keeps writing
    into a folder being deleted file by file)."""
    gone = drive.with_name(drive.name + ".pulled")
    os.rename(drive, gone)
    shutil.rmtree(gone)


def put_back(drive: Path) -> None:
    """A new, empty drive where a pulled one was. MinIO may have made the folder again by
    then (a write makes the folders it needs): what it holds goes too, and the empty
    folder is renamed into place, so the drive comes back unformatted, as a new disk."""
    for _ in range(10):
        fresh = drive.with_name(drive.name + ".new")
        fresh.mkdir(exist_ok=True)
        if drive.exists():
            pull_out(drive)
        try:
            os.rename(fresh, drive)  # onto an empty folder MinIO just made: fine too
        except OSError:  # MinIO wrote into it again in between
            continue
        return
    raise AssertionError(f"MinIO keeps writing into {drive} after it was pulled out")


def read_all(services: Services, acknowledged: dict[str, str]) -> None:
    """Every acknowledged record: its signed bytes as deposited."""
    for record_id, sha256 in acknowledged.items():
        content = services.records.content(record_id, SYSTEM, audit=False)
        assert hashlib.sha256(b"".join(content.chunks)).hexdigest() == sha256, record_id


def test_a_lost_minio_drive_loses_nothing_and_is_healed(
    tmp_path: Path, drill_root: Path, pki: TestPKI, signed_pdf: Pdf, metadata: Meta
) -> None:
    minio = ErasureMinIO(drill_root)
    minio.start()
    bucket = "kho-drill"
    services = kho(
        tmp_path, pki, storage="minio", minio_endpoint=minio.endpoint,
        minio_access_key=minio.user, minio_secret_key=minio.password, minio_bucket=bucket,
        minio_secure=False, audit_checkpoint_lock_mode="GOVERNANCE",
    )  # fmt: skip
    try:
        pdfs = [result(signed_pdf, n) for n in range(16)]  # signed before the clock starts
        acknowledged: dict[str, str] = {}
        refused: list[str] = []
        four_in = threading.Event()

        def deposit_all() -> None:
            for pdf in pdfs:
                try:
                    outcome = services.deposit.deposit(pdf, "kq.pdf", metadata(), SYSTEM)
                except KhoError as exc:  # not acknowledged: the client would retry
                    refused.append(f"{type(exc).__name__}: {exc}")
                else:
                    acknowledged[outcome.record["record_id"]] = outcome.record["sha256"]
                if len(acknowledged) == 4:
                    four_in.set()

        depositor = threading.Thread(target=deposit_all)
        depositor.start()
        assert four_in.wait(120), refused
        lost = minio.drives[1]
        pull_out(lost)  # the drive is gone, mid-run
        lost_at = len(acknowledged)
        depositor.join(300)
        assert not depositor.is_alive()

        # Three drives of four keep write quorum: nothing refused, nothing lost.
        assert refused == [] and len(acknowledged) == len(pdfs), refused
        assert lost_at < len(pdfs)  # some deposits ran after the drive was gone
        read_all(services, acknowledged)
        report = services.fixity.run(SYSTEM)
        assert report.ok and report.checked == len(pdfs), report.mismatches
        assert services.audit.verify().ok

        # A new, empty drive where the lost one was: MinIO formats and heals it by itself
        # (its background monitor looks for fresh drives every few seconds).
        put_back(lost)
        expected = minio.parts_on(minio.drives[0], bucket)
        assert len(expected) > 3 * len(pdfs)  # originals, texts, reports, manifests, claims
        wait_for(
            "MinIO heal of the new drive",
            lambda: minio.parts_on(lost, bucket) >= expected,
            300,
            minio.process.log if minio.process else None,
        )
        # Proof that the healed drive holds real parts: lose two others, still read all.
        store = services.backends.store
        keys = sorted(expected)
        digests = {key: hashlib.sha256(store.get(key)).digest() for key in keys}
        pull_out(minio.drives[0])
        pull_out(minio.drives[2])
        for key in keys:
            assert hashlib.sha256(store.get(key)).digest() == digests[key], key
    finally:
        services.close()
        minio.stop()


def test_a_stopped_elasticsearch_node_stops_nothing(
    tmp_path: Path, drill_root: Path, pki: TestPKI, signed_pdf: Pdf, metadata: Meta
) -> None:
    cluster = ESCluster(drill_root)
    cluster.start()
    n1 = cluster.node("n1")
    # A fresh cluster on a busy two-core machine can take more than the default 10 s to
    # create an index with its replica.
    services = kho(
        tmp_path, pki, search="elasticsearch", es_url=n1.url, es_index="kho-drill",
        backend_timeout_s=30,
    )  # fmt: skip
    try:
        before = [
            services.deposit.deposit(result(signed_pdf, n), "kq.pdf", metadata(), SYSTEM)
            for n in range(3)
        ]
        services.indexing.drain_outbox()  # any the fresh cluster was too slow for
        assert all(services.backends.index.get(o.record["record_id"]) for o in before)
        services.audit.flush()
        # Every index on both nodes, and every primary on n2 (the node that will stop):
        # first the indices are moved off n1, then allowed back, where only replicas go.
        indices = f"{n1.url}/kho-drill*/_settings"
        assert _put(indices, {"index.routing.allocation.exclude._name": "n1"}) == 200
        wait_for("primaries on n2", lambda: _primaries_on(n1.url) == {"n2"}, 120)
        assert _put(indices, {"index.routing.allocation.exclude._name": None}) == 200
        assert cluster.health(wait_for_status="green", timeout="90s").get("status") == "green"
        assert _primaries_on(n1.url) == {"n2"}

        cluster.stop_node("n2")
        health = cluster.health(wait_for_status="yellow", wait_for_nodes="1", timeout="60s")
        # The replicas on n1 became primaries (and auto_expand_replicas drops the replica
        # count to what one node can hold, so the cluster may even report green).
        assert health.get("number_of_nodes") == 1 and health.get("status") != "red", health
        assert _primaries_on(n1.url) == {"n1"}

        found = services.lookup.lookup(
            LookupQuery(subject_id=DUC, valid_on=services.backends.today()), SYSTEM
        )
        assert {i["record_id"] for i in found.items} == {o.record["record_id"] for o in before}
        during = [
            services.deposit.deposit(result(signed_pdf, n), "kq.pdf", metadata(), SYSTEM)
            for n in range(3, 6)
        ]
        assert all(o.indexed for o in during)  # searchable at once, no outbox needed
        today = services.backends.today()
        hits = services.search.search(
            SearchQuery(q="trần văn đức", today=today, page_size=50), SYSTEM
        )
        assert hits.total == 6
        assert services.health.readiness()["index"]["status"] == "ok"

        cluster.start_node("n2")
        assert cluster.health(wait_for_status="green", timeout="180s").get("status") == "green"
        found = services.lookup.lookup(
            LookupQuery(subject_id=DUC, valid_on=services.backends.today()), SYSTEM
        )
        assert found.total == 6
    finally:
        services.close()
        cluster.stop()


def _put(url: str, settings: dict[str, Any]) -> int:
    import json
    import urllib.request

    request = urllib.request.Request(
        url, data=json.dumps(settings).encode(), method="PUT",
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=30) as response:
        return int(response.status)


def _primaries_on(url: str) -> set[str]:
    """The nodes holding a started primary of a drill index (relocations finished)."""
    status, rows = http_json(f"{url}/_cat/shards/kho-drill*?format=json")
    if status != 200 or not rows:
        return set()
    if any(r["state"] != "STARTED" for r in rows if r["prirep"] == "p"):
        return set()
    return {r["node"] for r in rows if r["prirep"] == "p"}
