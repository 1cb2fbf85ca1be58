"""The disposal workflow on every stack: holds, the two-person rule, tombstones, fixity,
the audit chain, and a controlled clock (Backends.clock) making records fall due."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from kho.archive.errors import ObjectNotFound
from kho.archive.manifest import Actor
from kho.retention.disposal import SameApprover
from kho.services import Access, Services
from kho.services.errors import Conflict, InvalidQuery, RecordDisposed
from kho.settings import Settings
from kho.wiring import build_services

PURPOSE = "000.00.15.H62-261123-0001"
ALICE = Access(actor=Actor(user="luutru"), purpose=PURPOSE)
BOB = Access(actor=Actor(user="luutru2"), purpose=PURPOSE)
SYSTEM = Access.system(purpose=PURPOSE)
MARRIAGE = "Giấy xác nhận tình trạng hôn nhân"


@pytest.fixture
def scheduled(settings: Settings, tmp_path: Path) -> Iterator[Services]:
    schedule = tmp_path / "schedule.yaml"
    schedule.write_text(
        "version: test-1\n"
        "rules:\n"
        f"  - id: hon-nhan-5\n    result_type: {MARRIAGE}\n    years: 5\n"
        "  - id: khai-sinh\n    result_type: Giấy khai sinh\n    permanent: true\n"
        "  - id: giay-phep-het-hieu-luc\n    result_type: Giấy phép\n    years: 2\n"
        "    trigger: validity_end\n    action: transfer\n",
        encoding="utf-8",
    )
    built = build_services(settings.model_copy(update={"retention_schedule": schedule}))
    # The clock of these tests: 2030, long after the 2010 results' retention ended.
    built.backends.clock = lambda: datetime(2030, 6, 1, 3, 0, tzinfo=UTC)
    try:
        yield built
    finally:
        built.close()


def _deposit(
    services: Services,
    signed_pdf: Callable[..., bytes],
    metadata: Callable[..., dict[str, Any]],
    n: str,
    **fields: Any,
) -> str:
    fields.setdefault("result_type", MARRIAGE)
    fields.setdefault("issued_on", "2010-03-04")
    out = services.deposit.deposit(
        signed_pdf("GIẤY XÁC NHẬN", ("Số", f"disp-{n}")), f"{n}.pdf", metadata(**fields), SYSTEM
    )
    return str(out.record["record_id"])


def test_schedule_rules_decide_retain_until_at_deposit(
    scheduled: Services, signed_pdf: Callable[..., bytes], metadata: Callable[..., dict[str, Any]]
) -> None:
    rid = _deposit(scheduled, signed_pdf, metadata, "s1")
    permit = _deposit(
        scheduled, signed_pdf, metadata, "s2", result_type="Giấy phép", valid_until="2012-05-01"
    )
    birth = _deposit(scheduled, signed_pdf, metadata, "s3", result_type="Giấy khai sinh")
    get = scheduled.backends.packages.latest_manifest
    assert get(rid).retention.retain_until == date(2015, 12, 31)
    assert get(rid).retention.rule == "hon-nhan-5"
    assert get(permit).retention.retain_until == date(2014, 12, 31)  # from the end of validity
    assert get(permit).retention.action == "transfer"
    assert get(birth).retention.retain_until is None
    due = {d.record_id for d in scheduled.retention.due()}
    assert due == {rid, permit}


def test_holds_block_and_the_two_person_rule(
    scheduled: Services, signed_pdf: Callable[..., bytes], metadata: Callable[..., dict[str, Any]]
) -> None:
    a = _deposit(scheduled, signed_pdf, metadata, "h1")
    b = _deposit(
        scheduled,
        signed_pdf,
        metadata,
        "h2",
        subjects=[{"kind": "citizen", "id": "079200001111", "name": "Lê Thị Hoa"}],
    )
    c = _deposit(scheduled, signed_pdf, metadata, "h3", procedure_code="2.000001")
    d = _deposit(scheduled, signed_pdf, metadata, "h4")
    r = scheduled.retention
    h_rec = r.place_hold(ALICE, reason="Thanh tra", record_ids=[a])
    r.place_hold(ALICE, reason="Tranh chấp", subject_id="079200001111")
    r.place_hold(ALICE, reason="Vụ án 12/2030", query={"procedure_code": "2.000001"})
    held = {i.record_id: i.held for i in r.due()}
    assert held == {a: True, b: True, c: True, d: False}
    assert scheduled.backends.packages.latest_manifest(a).retention.holds == (h_rec.hold_id,)
    for blocked in (a, b, c):
        with pytest.raises(InvalidQuery, match=blocked):
            r.propose([blocked, d], "Hết hạn", ALICE)
    # A later deposit matching the saved query is held from the start.
    e = _deposit(scheduled, signed_pdf, metadata, "h5", procedure_code="2.000001")
    assert scheduled.backends.packages.latest_manifest(e).retention.holds
    batch = r.propose([d], "Hết thời hạn bảo quản", ALICE)
    assert batch.status == "proposed"
    with pytest.raises(SameApprover):
        r.approve(batch.batch_id, ALICE)
    done = r.approve(batch.batch_id, BOB)
    assert done.status == "executed"
    r.release_hold(h_rec.hold_id, "Thanh tra xong", ALICE)
    assert scheduled.backends.packages.latest_manifest(a).retention.holds == ()
    rejected = r.propose([a], "Hết hạn", ALICE)
    r.reject(rejected.batch_id, "Cần xem lại", BOB)
    with pytest.raises(Conflict):
        r.approve(rejected.batch_id, BOB)


def test_execution_leaves_tombstones_and_fixity_and_the_chain_pass(
    scheduled: Services, signed_pdf: Callable[..., bytes], metadata: Callable[..., dict[str, Any]]
) -> None:
    a = _deposit(scheduled, signed_pdf, metadata, "t1")
    kept = _deposit(scheduled, signed_pdf, metadata, "t2")
    permit = _deposit(
        scheduled, signed_pdf, metadata, "t3", result_type="Giấy phép", valid_until="2012-05-01"
    )
    r = scheduled.retention
    r.place_hold(ALICE, reason="Giữ lại", record_ids=[kept])
    batch = r.propose([a, permit], "Hết thời hạn bảo quản", ALICE)
    r.approve(batch.batch_id, BOB)
    packages = scheduled.backends.packages
    for rid in (a, permit):
        m = packages.latest_manifest(rid)
        assert m.tombstone is not None and m.tombstone.approved_by.user == "luutru2"
        with pytest.raises(ObjectNotFound):
            scheduled.backends.store.get(packages.original_key(m.file.sha256))
        assert not list(scheduled.backends.store.list(f"records/{rid}/validations/"))
        view = scheduled.records.get(rid, ALICE)
        assert view["status"] == "disposed"
        assert view["tombstone"]["sha256"] == m.file.sha256
        with pytest.raises(RecordDisposed):
            scheduled.records.content(rid, ALICE)
    # The transfer went to the historical archive as a valid bag first.
    bag = Path(packages.latest_manifest(permit).tombstone.transfer_package or "")
    assert (bag / "bagit.txt").is_file() and (bag / "data" / "manifest.json").is_file()
    # The lookup answers with the tombstone, and kho reindex reproduces retention from the
    # store.
    from kho.services import LookupQuery

    page = scheduled.lookup.lookup(
        LookupQuery(subject_id="001203001234", include_invalid=True, page_size=100), ALICE
    )
    found = {i["record_id"]: i for i in page.items}
    assert found[a]["status"] == "disposed" and found[a]["tombstone"]["batch_id"]
    assert found[kept]["retention"]["holds"] and found[kept]["retention"]["retain_until"]
    scheduled.indexing.reindex()
    again = scheduled.backends.index.get(kept)
    assert again is not None and again.record["retention"]["retain_until"] == "2015-12-31"
    tomb = scheduled.backends.index.get(a)
    assert tomb is not None and tomb.validity.disposed
    cert = r.certificate(batch.batch_id)
    assert cert["approved_by"] == "luutru2" and cert["proposed_by"] == "luutru"
    assert sorted(cert["record_ids"]) == sorted([a, permit])
    assert {i["outcome"] for i in cert["items"]} == {"disposed", "transferred"}
    minutes = r.certificate_html(batch.batch_id)
    assert "BIÊN BẢN HỦY TÀI LIỆU HẾT GIÁ TRỊ" in minutes
    # Dates as the minutes are read (dd/mm/yyyy), times in the archive's zone (UTC+7).
    assert "31/12/2015" in minutes and "2015-12-31" not in minutes
    assert "01/06/2030 10:00" in minutes
    report = scheduled.fixity.run(SYSTEM)
    assert report.ok, report.mismatches
    scheduled.audit.flush()
    actions = [json.loads(line)["action"] for line in scheduled.backends.trail.lines()]
    for step in (
        "hold-place",
        "disposal-propose",
        "disposal-approve",
        "dispose",
        "disposal-execute",
    ):
        assert step in actions
    assert packages.latest_manifest(kept).event  # the held record is untouched
    assert scheduled.backends.store.exists(
        packages.original_key(packages.latest_manifest(kept).file.sha256)
    )


def test_disposing_of_one_of_two_records_that_share_a_file_keeps_it_for_the_other(
    scheduled: Services, signed_pdf: Callable[..., bytes], metadata: Callable[..., dict[str, Any]]
) -> None:
    """An archive from before content claims may hold one signed file under two records;
    disposing of either must not delete what the other still holds."""
    store = scheduled.backends.store

    def forget_content_claims() -> None:  # as an archive made before them
        for key in list(store.list("content/")):
            store.delete(key)

    pdf = signed_pdf("GIẤY XÁC NHẬN", ("Số", "shared"))

    def deposit(name: str) -> str:
        meta = metadata(result_type=MARRIAGE, issued_on="2010-03-04")
        return str(scheduled.deposit.deposit(pdf, name, meta, SYSTEM).record["record_id"])

    first = deposit("a.pdf")
    forget_content_claims()
    second = deposit("b.pdf")
    forget_content_claims()
    assert scheduled.deposit.content.backfill().duplicates == ((second, first),)
    packages = scheduled.backends.packages
    original = packages.original_key(packages.latest_manifest(first).file.sha256)

    r = scheduled.retention
    for gone, other in ((first, second), (second, None)):
        batch = r.propose([gone], "Hết thời hạn bảo quản", ALICE)
        r.approve(batch.batch_id, BOB)
        assert packages.latest_manifest(gone).tombstone is not None
        if other is not None:
            # The other record still reads its signed file, byte for byte.
            assert store.get(original) == pdf
            assert scheduled.records.content(other, ALICE) is not None
        else:
            assert not store.exists(original)  # the last holder gone: the file goes too
    assert scheduled.fixity.run(SYSTEM).ok


_CHILD = """
import json, os, signal, sys
from datetime import UTC, datetime
from kho.archive.manifest import Actor
from kho.services import Access
from kho.settings import Settings
from kho.wiring import build_services

settings = Settings.model_validate_json(sys.argv[1])
services = build_services(settings)
services.backends.clock = lambda: datetime(2030, 6, 1, 3, 0, tzinfo=UTC)
seen = []

def crash(record_id):
    seen.append(record_id)
    if len(seen) == int(sys.argv[3]):
        services.audit.flush()
        os.kill(os.getpid(), signal.SIGKILL)  # kill -9 in the middle of the batch

services.retention.approve(sys.argv[2], Access(actor=Actor(user="luutru2")), on_record=crash)
"""


def test_a_kill_9_during_execution_then_approving_again_finishes_it(
    scheduled: Services,
    signed_pdf: Callable[..., bytes],
    metadata: Callable[..., dict[str, Any]],
    tmp_path: Path,
) -> None:
    import subprocess
    import sys

    ids = [_deposit(scheduled, signed_pdf, metadata, f"k{n}") for n in range(5)]
    batch = scheduled.retention.propose(ids, "Hết thời hạn bảo quản", ALICE)
    settings = scheduled.settings
    scheduled.close()
    child = subprocess.run(
        [sys.executable, "-c", _CHILD, settings.model_dump_json(), batch.batch_id, "2"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert child.returncode == -9, child.stderr[-2000:]
    again = build_services(settings)
    again.backends.clock = scheduled.backends.clock
    try:
        half = again.retention.batch(batch.batch_id)
        assert half.status == "approved"  # decided, not executed: the crash left it so
        packages = again.backends.packages
        disposed = [packages.latest_manifest(r).tombstone is not None for r in ids]
        assert disposed[:2] == [True, True] and disposed[2:] == [False] * 3
        done = again.retention.approve(batch.batch_id, BOB)
        assert done.status == "executed"
        for rid in ids:
            m = packages.latest_manifest(rid)
            assert m.tombstone is not None
            assert not again.backends.store.exists(packages.original_key(m.file.sha256))
        cert = again.retention.certificate(batch.batch_id)
        assert cert["disposed"] == 5 and cert["skipped"] == 0
        assert again.fixity.run(SYSTEM).ok
        assert again.audit.verify().ok
    finally:
        again.close()
