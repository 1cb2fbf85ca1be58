"""The indicators' parts alone: the agency registry's forms, targets as data, periods, and
how events become facts (old events without the fields new ones carry included)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from kho.archive.agencies import AgencyRegistry, RegistryError
from kho.archive.audit import AuditEvent
from kho.errors import KhoError
from kho.indexer.indicators import Facts
from kho.services.indicator_feed import FactFeed
from kho.services.indicator_targets import TargetError, Targets
from kho.services.periods import Period
from kho.settings import SettingsError
from kho.wiring import build_registry, build_targets

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


def test_registry_reads_bare_codes_and_named_lines() -> None:
    registry = AgencyRegistry.parse(
        "# comment\n\n000.00.15.H62\n"
        "000.20.15.H62\tUBND xã Tân Phong\n"
        "000.00.00.G12;Bộ Tư pháp;central\n"
        "000.30.15.H62\tUBND huyện Tân Uyên;district\n"
    )
    assert registry.codes == {"000.00.15.H62", "000.20.15.H62", "000.00.00.G12", "000.30.15.H62"}
    assert registry.name("000.00.15.H62") is None
    assert registry.name("000.20.15.H62") == "UBND xã Tân Phong"
    assert (registry.name("000.00.00.G12"), registry.level("000.00.00.G12")) == (
        "Bộ Tư pháp", "central"
    )
    assert registry.level("000.30.15.H62") == "district"
    with pytest.raises(RegistryError, match="line 2"):
        AgencyRegistry.parse("000.00.15.H62\n000.00.15.H62;Tên;ward\n")
    with pytest.raises(RegistryError, match="line 1"):
        AgencyRegistry.parse("not a code;Tên\n")


def test_a_bad_registry_or_targets_file_is_a_setting_error(tmp_path: Path) -> None:
    bad = tmp_path / "agencies.txt"
    bad.write_text("000.00.15.H62;Tên;ward\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="KHO_AGENCY_REGISTRY"):
        build_registry(bad)
    targets = tmp_path / "targets.json"
    targets.write_text('{"2026": {"commune": 1.5}}', encoding="utf-8")
    with pytest.raises(SettingsError, match="KHO_INDICATOR_TARGETS"):
        build_targets(targets)


def test_decision_468_targets_and_overrides(tmp_path: Path) -> None:
    default = Targets()
    assert default.of_year(2021) == {
        "central": 0.4, "province": 0.3, "district": 0.2, "commune": 0.15
    }
    assert default.of_year(2023) == {
        "central": 0.8, "province": 0.7, "district": 0.6, "commune": 0.55
    }
    assert default.rate(2025, "commune") == 0.95
    assert default.rate(2026, "commune") == 1.0 and default.rate(2030, "central") == 1.0
    assert default.rate(2020, "central") is None
    path = tmp_path / "targets.json"
    path.write_text('{"2026": {"commune": 0.9}, "2027": {"province": 0.5}}', encoding="utf-8")
    loaded = Targets.load(path)
    assert loaded.rate(2026, "commune") == 0.9
    assert loaded.rate(2026, "province") == 1.0  # not overridden: the default
    assert loaded.rate(2027, "province") == 0.5
    for text in ('{"2026": {"ward": 0.5}}', '{"soon": {}}', "[1]", "{"):
        path.write_text(text, encoding="utf-8")
        with pytest.raises(TargetError):
            Targets.load(path)


def test_periods() -> None:
    assert Period.preset("2026-Q3") == Period(date(2026, 7, 1), date(2026, 9, 30))
    assert Period.preset("2028-02") == Period(date(2028, 2, 1), date(2028, 2, 29))
    assert Period.preset("2026") == Period(date(2026, 1, 1), date(2026, 12, 31))
    assert Period.parse(date(2026, 1, 5), date(2026, 1, 5), None).start == date(2026, 1, 5)
    for bad in ("2026-Q0", "2026-13", "26-Q1", "2026-Q3x", ""):
        with pytest.raises(KhoError) as refused:
            Period.preset(bad)
        assert refused.value.extra["field"] == "period"
    with pytest.raises(KhoError):
        Period.parse(date(2026, 2, 1), date(2026, 1, 1), None)
    with pytest.raises(KhoError):
        Period.parse(None, date(2026, 1, 1), None)


def event(seq: int, action: str, **fields: Any) -> AuditEvent:
    return AuditEvent(
        seq=seq,
        event_id=f"e{seq}",
        at=fields.pop("at", datetime(2026, 3, 31, 17, 30, tzinfo=UTC)),
        action=action,
        actor=fields.pop("actor", {"agency": "000.20.15.H62"}),
        outcome=fields.pop("outcome", "ok"),
        prev_hash="0" * 64,
        **fields,
    )


class Manifests:
    """The one thing the feed asks the store for: a record's manifest."""

    def __init__(self, issuers: dict[str, str]) -> None:
        self.issuers = issuers
        self.asked: list[str] = []

    def latest_manifest(self, record_id: str) -> Any:
        self.asked.append(record_id)
        return SimpleNamespace(issuer_code=self.issuers[record_id])


def test_events_become_facts_old_and_new() -> None:
    store = Manifests({"R1": "000.00.15.H62", "R2": "000.20.15.H62"})
    feed = FactFeed(store, ZONE)  # type: ignore[arg-type]
    facts = Facts()
    for e in (
        # New lookups say how many reusable results they returned.
        event(1, "lookup", detail={"total": 2, "reusable": 1}, subject_ids=("001203000001",),
              purpose="D1"),
        event(2, "lookup", detail={"total": 1, "reusable": 0, "include_invalid": True}),
        # Older ones only their total: found unless include_invalid.
        event(3, "lookup", detail={"total": 1}),
        event(4, "lookup", detail={"total": 3, "include_invalid": True}),
        event(5, "lookup", detail={"total": 0}),
        # New downloads name the issuer; older ones are resolved from the record.
        event(6, "download", record_ids=("R9",), detail={"issuer_code": "000.00.15.H62"}),
        event(7, "download", record_ids=("R1",)),
        event(8, "download", record_ids=("R2",)),  # the reader's own agency's
        event(9, "download", record_ids=("R1",), outcome="not-modified"),
        event(10, "download", record_ids=("R1",), actor={"user": "cli:root"}),
        event(11, "read", record_ids=("R1",)),
    ):
        feed.add(facts, e)
    assert [(f.seq, f.found) for f in facts.reuse if f.kind == "lookup"] == [
        (1, True), (2, False), (3, True), (4, False), (5, False)
    ]
    assert [(f.seq, f.other_agency) for f in facts.reuse if f.kind == "download"] == [
        (6, True), (7, True), (8, False), (10, False)
    ]
    assert store.asked == ["R1", "R2"]  # each record read once
    # 31 March 17:30 UTC is 1 April in Asia/Ho_Chi_Minh.
    assert {f.day for f in facts.reuse} == {date(2026, 4, 1)}


def test_a_gap_in_the_trail_stops_a_slice_there() -> None:
    feed = FactFeed(Manifests({}), ZONE)  # type: ignore[arg-type]
    events = [event(s, "lookup", detail={"total": 0}) for s in (4, 5, 7, 8)]
    slices = list(feed.slices(iter(events), 3))
    assert [(last, len(f.reuse)) for last, f in slices] == [(5, 2)]
    assert list(feed.slices(iter(events), 8)) == []
