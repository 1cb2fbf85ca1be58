"""The audit trail's anchor, on every stack: signed checkpoints kept out of the store
writer's reach catch a chain rewritten with recomputed hashes and a tail removed together
with the event index, which the chain alone cannot; checkpoints come by themselves as
events arrive, carry an RFC 3161 timestamp when a TSA is set, and a forged one is refused."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from asn1crypto import tsp
from support.tamper import minio_client, overwrite, remove

from kho.archive.audit import AuditEvent
from kho.archive.audit.checkpoint import Checkpoint, CheckpointKey
from kho.archive.audit.timestamp import timestamp_problem
from kho.demo.pki import TestPKI
from kho.services import Access, Services
from kho.settings import Settings
from kho.wiring import build_services

PURPOSE = "000.00.15.H62-261123-0001"


def lookups(services: Services, n: int) -> None:
    for _ in range(n):
        services.audit.record("lookup", Access.system(PURPOSE), subject_ids=["001203001234"])


def anchored(services: Services) -> None:
    """Let the background checkpoint settle, then anchor the head explicitly."""
    services.audit.checkpoints.close()
    services.audit.checkpoints.write()


def rewrite_from(services: Services, settings: Settings, seq: int) -> None:
    """Edit event `seq` and recompute every hash after it, batch by batch, as someone with
    write access to the store (but not the checkpoint key) could."""
    store = services.backends.store
    prev_hash = None
    for key in sorted(store.list("audit/batches/")):
        events = [AuditEvent.from_json(json.loads(line)) for line in store.get(key).splitlines()]
        out = []
        for event in events:
            if event.seq == seq:
                event = replace(event, actor={"user": "ai-đó-khác"})
            if prev_hash is not None and event.seq > seq:
                event = replace(event, prev_hash=prev_hash)
            if event.seq >= seq:
                event = replace(event, hash=event.compute_hash())
                prev_hash = event.hash
            out.append(event.line() + b"\n")
        overwrite(settings, key, b"".join(out))


def test_a_chain_rewritten_with_recomputed_hashes_is_caught(
    services: Services, settings: Settings
) -> None:
    lookups(services, 5)
    anchored(services)
    report = services.audit.verify()
    assert report.ok and report.checkpoint is not None
    assert report.checkpoint["status"] == "matches" and report.checkpoint["seq"] == 5
    rewrite_from(services, settings, 2)
    assert services.backends.trail.verify().ok  # the chain alone is fooled
    report = services.audit.verify()
    assert not report.ok
    assert report.checkpoint is not None and report.checkpoint["status"] == "diverges"
    assert report.first_bad_seq == 5 and "rewritten" in (report.reason or "")


def test_a_tail_removed_with_the_event_index_is_caught(
    services: Services, settings: Settings, stack: str
) -> None:
    lookups(services, 5)
    anchored(services)
    store = services.backends.store
    batches = sorted(store.list("audit/batches/"))
    for key in batches[-2:]:  # events 4 and 5
        remove(settings, key)
    services.audit.flush()
    services.backends.audit_index.replace_all([])
    if stack == "distributed":
        # Hiding the checkpoints behind delete markers does not help either.
        client = minio_client(settings)
        for obj in client.list_objects(settings.minio_bucket, "audit/checkpoints/"):
            client.remove_object(settings.minio_bucket, obj.object_name)
        assert list(store.list("audit/checkpoints/")) == []
    else:
        anchor = services.backends.anchor
        assert not anchor.path.resolve().is_relative_to(settings.data_dir.resolve())  # type: ignore[union-attr]
    assert services.backends.trail.verify().ok  # the chain alone is fooled
    report = services.audit.verify()
    assert not report.ok and report.first_bad_seq == 4
    assert report.checkpoint is not None and report.checkpoint["status"] == "shorter"
    assert "events 4..5 were removed" in (report.reason or "")


def test_a_checkpoint_not_signed_by_the_archives_key_is_refused(
    services: Services, settings: Settings
) -> None:
    lookups(services, 2)
    anchored(services)
    forger = CheckpointKey.load_or_create(settings.data_dir.parent / "forger.key")
    seq, head = services.backends.trail.head()
    forged = forger.sign(Checkpoint(seq + 100, head, "2026-01-01T00:00:00+00:00", "x", ""))
    anchor = services.backends.anchor
    assert anchor is not None
    anchor.write(forged)  # only possible with access to the anchor itself
    report = services.audit.verify()
    assert not report.ok and report.checkpoint is not None
    assert report.checkpoint["status"] == "forged"
    assert "not this archive's key" in (report.reason or "")


def test_checkpoints_come_by_themselves_every_n_events(settings: Settings) -> None:
    services = build_services(settings.model_copy(update={"audit_checkpoint_events": 3}))
    try:
        for _ in range(4):
            lookups(services, 3)
            services.audit.checkpoints.close()  # let each background write finish
        report = services.audit.verify()
        assert report.ok and report.checkpoint is not None
        assert report.checkpoint["seq"] >= 9
    finally:
        services.close()


def test_checkpoints_cannot_be_removed_by_the_stores_writer(
    services: Services, settings: Settings, stack: str
) -> None:
    """Embedded: the anchor is a 0600 file outside the data folder. MinIO: the default
    COMPLIANCE lock refuses even the root user with the governance bypass (so this test
    leaves its small bucket behind on the test server)."""
    if stack == "embedded":
        lookups(services, 1)
        anchored(services)
        anchor = services.backends.anchor
        path = anchor.path  # type: ignore[union-attr]
        assert path.stat().st_mode & 0o777 == 0o600
        assert path.parent == settings.secrets_folder
        assert not path.resolve().is_relative_to(settings.data_dir.resolve())
        return
    from minio.error import S3Error

    strict = settings.model_copy(
        update={
            "audit_checkpoint_lock_mode": "COMPLIANCE",
            "minio_bucket": f"{settings.minio_bucket}-worm",
        }
    )
    compliant = build_services(strict)
    try:
        lookups(compliant, 1)
        anchored(compliant)
        client = minio_client(strict)
        versions = [
            o
            for o in client.list_objects(
                strict.minio_bucket, "audit/checkpoints/", include_version=True
            )
        ]
        assert versions
        for obj in versions:
            retention = client.get_object_retention(
                strict.minio_bucket, obj.object_name, version_id=obj.version_id
            )
            assert retention.mode == "COMPLIANCE"
            with pytest.raises(S3Error):
                client._execute(
                    "DELETE",
                    strict.minio_bucket,
                    obj.object_name,
                    headers={"x-amz-bypass-governance-retention": "true"},
                    query_params={"versionId": obj.version_id},
                )
    finally:
        compliant.close()


class _TSA(BaseHTTPRequestHandler):
    pki: TestPKI

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        stamper = self.pki._timestamper(None)
        answer = stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
        self.send_response(200)
        self.send_header("Content-Type", "application/timestamp-reply")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def tsa_url(pki: TestPKI) -> Iterator[str]:
    handler = type("TSA", (_TSA,), {"pki": pki})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()


def test_checkpoints_carry_a_tsa_timestamp_when_one_is_set(
    settings: Settings, tsa_url: str
) -> None:
    services = build_services(settings.model_copy(update={"tsa_url": tsa_url}))
    try:
        lookups(services, 2)
        anchored(services)
        anchor = services.backends.anchor
        assert anchor is not None
        checkpoint = anchor.latest(services.audit.checkpoints.key()).checkpoint
        assert checkpoint is not None and checkpoint.seq == 2 and checkpoint.timestamp
        assert timestamp_problem(checkpoint.timestamp, checkpoint.digest()) is None
        assert "does not stamp" in str(timestamp_problem(checkpoint.timestamp, b"\0" * 32))
        report = services.audit.verify()
        assert report.ok and report.checkpoint is not None
        assert report.checkpoint["timestamped"] is True
    finally:
        services.close()


def test_an_unreachable_tsa_still_gives_a_signed_checkpoint(settings: Settings) -> None:
    services = build_services(settings.model_copy(update={"tsa_url": "http://127.0.0.1:9/"}))
    try:
        lookups(services, 1)
        services.audit.checkpoints.close()
        lookups(services, 1)
        checkpoint = services.audit.checkpoints.write()
        assert checkpoint is not None and checkpoint.timestamp is None
        assert services.audit.verify().ok
    finally:
        services.close()
