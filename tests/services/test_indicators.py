"""Decision 468 indicators over a seeded history (tests/support/indicator_history.py), on
every requested stack; every expected figure is counted by hand from that history."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from support.indicator_history import BIRTH, OTHER, C, History, M, P, Y, key_access, seed

from kho.services import Access
from kho.services.periods import Period
from kho.settings import Settings
from kho.wiring import build_services

Q1 = Period(date(Y, 1, 1), date(Y, 3, 31))


@pytest.fixture
def history(
    settings: Settings, tmp_path: Path, signed_pdf: Callable[..., bytes]
) -> Iterator[History]:
    built = seed(settings, tmp_path, signed_pdf)
    try:
        yield built
    finally:
        built.services.close()


def report(history: History, period: Period = Q1, group_by: str | None = None) -> dict[str, Any]:
    return history.services.indicators.report(period, group_by, Access.system())


def buckets(totals: dict[str, Any]) -> dict[str, int]:
    return {b["days"]: b["count"] for b in totals["digitized_within_days"] if b["count"]}


def groups(body: dict[str, Any]) -> dict[str, tuple[int, int, float | None]]:
    return {
        g["key"]: (g["settled"], g["digitized"], g["digitization_rate"]) for g in body["groups"]
    }


def test_the_quarter_as_counted_by_hand(history: History) -> None:
    body = report(history, group_by="level")
    assert body["from"] == f"{Y}-01-01" and body["to"] == f"{Y}-03-31"
    totals = body["totals"]
    # Settled in Q1: n1 n2 n3 n7 n4 n5 (n6 was settled in December); held by 31 March:
    # n1, n2 and n7 (n3 on 2 April, n5 on 1 April local time, n4 never).
    assert (totals["settled"], totals["digitized"]) == (6, 3)
    assert totals["digitization_rate"] == 0.5
    assert (totals["signed"], totals["waiting"]) == (3, 3)
    # n1 the same day, n7 the day before its notice (0), n2 after 16 days.
    assert buckets(totals) == {"0": 2, "8-30": 1}
    # L1 L2 L3 L4 L6; found: L1 L3 L6; other agencies' reads: DL1 DL3 (not P's own DL2,
    # nor the 304 DL4, nor the console's DL5).
    assert (totals["lookups"], totals["lookups_found"]) == (5, 3)
    assert totals["downloads_by_other_agencies"] == 2
    assert totals["lookups_found_rate"] == 3 / 5
    # Served: S1 (L1, L6, DL1) and S2 (L3, DL3); dossiers D1 (L1, L3, DL1), D3 (L6), D4 (DL3).
    assert (totals["subjects_served"], totals["dossiers_served"]) == (2, 3)
    assert groups(body) == {
        "central": (1, 1, 1.0),
        "commune": (2, 0, 0.0),
        "province": (3, 2, 2 / 3),
    }
    named = {g["key"]: (g["name"], g["target_rate"]) for g in body["groups"]}
    # Decision 468's default targets in year Y (2021 + 20 points a year, at most 100%).
    assert named["commune"] == ("Cấp xã", 1.0)
    assert body["targets"]["year"] == Y


def test_groups_by_issuer_and_procedure(history: History) -> None:
    by_issuer = report(history, group_by="issuer_code")
    assert groups(by_issuer) == {C: (2, 0, 0.0), M: (1, 1, 1.0), P: (3, 2, 2 / 3)}
    names = {g["key"]: g["name"] for g in by_issuer["groups"]}
    assert names == {C: "UBND xã Tân Phong", M: "Bộ Tư pháp", P: "Sở Tư pháp tỉnh Lai Châu"}
    by_procedure = report(history, group_by="procedure_code")
    # 1.001193: n1 n2 n4 n5 (held: n1 n2); 1.000656: n3 n7 (held: n7).
    assert groups(by_procedure) == {BIRTH: (4, 2, 0.5), OTHER: (2, 1, 0.5)}
    # The reuse figures are totals, whatever the grouping.
    assert by_procedure["totals"]["lookups"] == 5


def test_a_month_and_a_longer_period(history: History) -> None:
    february = report(history, Period.preset(f"{Y}-02"))["totals"]
    # Settled: n3 (14 Feb), n7 (28 Feb); held by 28 Feb: n7. L3 found; DL3 another agency's.
    assert (february["settled"], february["digitized"]) == (2, 1)
    assert (february["lookups"], february["lookups_found"]) == (1, 1)
    assert february["downloads_by_other_agencies"] == 1
    to_april = report(history, Period(date(Y, 1, 1), date(Y, 4, 30)))["totals"]
    # Now n5 (1 Apr, 2 days) and n3 (2 Apr, 47 days) are held too; n5 is not signed (untrusted).
    assert (to_april["settled"], to_april["digitized"], to_april["signed"]) == (6, 5, 4)
    assert buckets(to_april) == {"0": 2, "2-3": 1, "8-30": 1, "31-90": 1}
    # L5 (1 Apr) found nothing: n5's signature does not let it be reused.
    assert (to_april["lookups"], to_april["lookups_found"]) == (6, 3)
    empty = report(history, Period(date(Y, 6, 1), date(Y, 6, 30)))["totals"]
    assert empty["settled"] == 0 and empty["digitization_rate"] is None


def test_the_same_after_a_rebuild_from_the_store_and_the_trail(history: History) -> None:
    before = report(history, group_by="level")
    aggregate = history.services.indicators.aggregate
    # Empty the aggregate behind the service's back: only a rebuild brings the figures back.
    aggregate.rebuild(iter(()))
    assert aggregate.watermark() == 0
    history.services.indicators.rebuild()
    after = report(history, group_by="level")
    strip = lambda body: {k: v for k, v in body.items() if k != "through_seq"}  # noqa: E731
    assert strip(after) == strip(before)


def test_a_second_process_follows_the_trail(history: History) -> None:
    """Another Kho on the same store (a CLI beside a server) builds the same figures."""
    other = build_services(history.settings)
    try:
        other.indicators.aggregate.rebuild(iter(()))
        assert other.indicators.report(Q1, None, Access.system())["totals"]["settled"] == 6
        # A notice sent through the first process reaches the second through the trail.
        history.services.settlements.notify(
            {
                "dossier_code": f"{C}-{Y % 100:02d}0331-0099",
                "result_code": f"{C}-{Y % 100:02d}0331-0099-KQ1",
                "issuer_code": C,
                "procedure_code": BIRTH,
                "level": "commune",
                "settled_on": f"{Y}-03-31",
                "result_form": "paper",
            },
            key_access(history.services, C),
        )
        assert other.indicators.report(Q1, None, Access.system())["totals"]["settled"] == 7
        # Applying the same events twice counts nothing twice.
        other.indicators.catch_up()
        assert other.indicators.report(Q1, None, Access.system())["totals"]["lookups"] == 5
    finally:
        other.close()


def test_backlog_and_drill_down(history: History) -> None:
    indicators = history.services.indicators
    backlog = indicators.backlog(C, Access.system())
    # n4 is still waiting on 5 April; n5 was deposited on 1 April.
    assert [item["result_code"] for item in backlog.items] == [f"{C}-{Y % 100:02d}0101-0004-KQ1"]
    assert backlog.items[0]["waiting_days"] == (date(Y, 4, 5) - date(Y, 3, 3)).days
    assert indicators.backlog(P, Access.system()).total == 0
    body = report(history)
    from kho.indexer.indicators import NoticeQuery

    digitized = indicators.notices(
        NoticeQuery(start=Q1.start, end=Q1.end, state="digitized"), Access.system()
    )
    assert {i["record_id"] for i in digitized.items} == {
        history.records[n] for n in ("n1", "n2", "n7")
    }
    assert digitized.total == body["totals"]["digitized"]
    assert body["links"]["digitized"].startswith("/api/v1/settlements?")
    found = indicators.reuse_events("lookups_found", Q1, Access.system())
    assert found.total == 3
    assert all(item["action"] == "lookup" for item in found.items)
    reads = indicators.reuse_events("downloads_by_other_agencies", Q1, Access.system())
    assert {item["agency"] for item in reads.items} == {C}
    assert {tuple(item["record_ids"]) for item in reads.items} == {
        (history.records["n1"],),
        (history.records["n2"],),
    }
