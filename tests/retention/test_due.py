"""What falls due: the retention service's due list, from the store, on every stack."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from kho.archive.manifest import Retention
from kho.retention.due import falls_due
from kho.services import Access, Services
from kho.settings import Settings
from kho.wiring import build_services

SYSTEM = Access.system(purpose="000.00.15.H62-261123-0001")


def test_a_record_falls_due_the_day_after_its_last_day_never_while_permanent() -> None:
    kept = Retention(rule="Giấy xác nhận: 5", period_years=5, retain_until=date(2015, 12, 31))
    assert not falls_due(kept, date(2015, 12, 31))
    assert falls_due(kept, date(2016, 1, 1))
    assert not falls_due(Retention(rule="default:permanent"), date(9999, 12, 31))


@pytest.fixture
def scheduled(settings: Settings, tmp_path: Path) -> Iterator[Services]:
    schedule = tmp_path / "schedule.json"
    schedule.write_text(json.dumps({"Giấy xác nhận tình trạng hôn nhân": 5}), encoding="utf-8")
    built = build_services(settings.model_copy(update={"retention_schedule": schedule}))
    try:
        yield built
    finally:
        built.close()


def test_the_due_list_names_the_records_past_their_retention(
    scheduled: Services,
    signed_pdf: Callable[..., bytes],
    metadata: Callable[..., dict[str, Any]],
) -> None:
    old = scheduled.deposit.deposit(
        signed_pdf("GIẤY XÁC NHẬN", ("Số", "due-1")),
        "a.pdf",
        metadata(result_type="Giấy xác nhận tình trạng hôn nhân", issued_on="2010-03-04"),
        SYSTEM,
    ).record["record_id"]
    scheduled.deposit.deposit(
        signed_pdf("GIẤY KHAI SINH", ("Số", "due-2")), "b.pdf", metadata(), SYSTEM
    )
    scan = scheduled.retention.due()
    due = list(scan)
    assert [(d.record_id, d.retain_until, d.held) for d in due] == [
        (old, date(2015, 12, 31), False)
    ]
    assert (scan.checked, scan.due, scan.held) == (2, 1, 0)
    assert list(scheduled.retention.due(as_of=date(2015, 12, 31))) == []
