"""Decision 468 indicators at province scale: a quarter's figures over 1,000,000 results
and 10,000,000 audit events, from the pre-aggregated indicator aggregate.

Generates the aggregate's inputs in bulk — the facts the feed derives from notices,
deposits and audit events (services/indicator_feed.py), a year of them — applies them
through the aggregate's own `apply` (the path the trail's events take), then times
`IndicatorService.report` for a quarter, per grouping, cold (first query after opening the
file) and warm, and the backlog list. Also times keeping in step: real audit events through
the feed into the aggregate, events per second.

    .venv/bin/python bench/bench_indicators.py [--results 1000000] [--events 10000000] [--write]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent

from kho.archive.audit import AuditEvent  # noqa: E402
from kho.archive.package import Packages  # noqa: E402
from kho.archive.stores.local import LocalObjectStore  # noqa: E402
from kho.indexer.engines.embedded_indicators import EmbeddedIndicatorAggregate  # noqa: E402
from kho.indexer.indicators import DepositFact, Facts, NoticeFact, NoticeQuery, ReuseFact  # noqa: E402
from kho.services.indicator_feed import FactFeed  # noqa: E402
from kho.services.indicator_report import build_report  # noqa: E402
from kho.services.indicator_targets import Targets  # noqa: E402
from kho.services.periods import Period  # noqa: E402

YEAR = 2026
LEVELS = (("central", 0.1), ("province", 0.3), ("commune", 0.6))
CHUNK = 50_000


def _day(rng: random.Random) -> date:
    return date(YEAR, 1, 1) + timedelta(days=rng.randrange(365))


def fill_results(agg: EmbeddedIndicatorAggregate, count: int, rng: random.Random) -> None:
    issuers = [f"000.{i // 100:02d}.{i % 100:02d}.H62" for i in range(200)]
    procedures = [f"1.{i:06d}" for i in range(100)]
    facts = Facts()
    for n in range(count):
        level = rng.choices([lv for lv, _ in LEVELS], [w for _, w in LEVELS])[0]
        issuer = rng.choice(issuers)
        code = f"{issuer}-26{n % 12 + 1:02d}01-{n:07d}"
        settled = _day(rng)
        facts.notices.append(
            NoticeFact(
                issuer,
                f"{code}-KQ1",
                code,
                rng.choice(procedures),
                level,
                settled,
                "electronic" if rng.random() < 0.7 else "paper",
            )
        )
        if rng.random() < 0.85:
            facts.deposits.append(
                DepositFact(
                    issuer,
                    f"{code}-KQ1",
                    f"R{n:025d}",
                    settled + timedelta(days=int(rng.expovariate(1 / 6))),
                    rng.random() < 0.95,
                    "born_digital",
                )
            )
        if len(facts) >= CHUNK:
            agg.apply(0, facts)
            facts = Facts()
    agg.apply(0, facts)


def fill_events(agg: EmbeddedIndicatorAggregate, count: int, rng: random.Random) -> None:
    population = 3_000_000
    facts, seq = Facts(), 0
    for seq in range(1, count + 1):
        subject = f"{1_203_000_000 + rng.randrange(population):012d}"
        dossier = f"000.00.15.H62-26{rng.randrange(1, 13):02d}01-{rng.randrange(10_000):04d}"
        if rng.random() < 0.7:
            fact = ReuseFact(
                seq,
                _day(rng),
                "lookup",
                found=rng.random() < 0.6,
                subject_ids=(subject,),
                dossier_code=dossier,
            )
        else:
            fact = ReuseFact(
                seq,
                _day(rng),
                "download",
                other_agency=rng.random() < 0.8,
                subject_ids=(subject,),
                dossier_code=dossier,
            )
        facts.reuse.append(fact)
        if len(facts.reuse) >= CHUNK:
            agg.apply(seq, facts)
            facts = Facts()
            if seq % 1_000_000 == 0:
                print(f"  events: {seq:,}", file=sys.stderr)
    agg.apply(seq, facts)


def time_feed(folder: Path, count: int) -> float:
    """Events through the feed into an aggregate, per second (keeping in step)."""
    agg = EmbeddedIndicatorAggregate(folder / "feed.sqlite3")
    feed = FactFeed(Packages(LocalObjectStore(folder / "store")), ZoneInfo("Asia/Ho_Chi_Minh"))
    at = datetime(YEAR, 7, 1, 3, tzinfo=UTC)
    events = [
        AuditEvent(
            seq=s,
            event_id=f"e{s}",
            at=at + timedelta(seconds=s),
            action="lookup",
            actor={"agency": "000.00.15.H62", "key_id": "k"},
            outcome="ok",
            prev_hash="0" * 64,
            purpose=f"000.00.15.H62-260701-{s % 10_000:04d}",
            subject_ids=(f"{1_203_000_000 + s:012d}",),
            detail={"total": 1, "reusable": s % 2},
        )
        for s in range(1, count + 1)
    ]
    started = time.perf_counter()
    for last, facts in feed.slices(iter(events), 0):
        agg.apply(last, facts)
    elapsed = time.perf_counter() - started
    agg.close()
    return count / elapsed


def run(results: int, events: int, write: bool) -> list[tuple[str, str, str]]:
    folder = Path(tempfile.mkdtemp(prefix="kho-bench-indicators-"))
    path = folder / "indicators.sqlite3"
    rng = random.Random(468)
    agg = EmbeddedIndicatorAggregate(path)
    started = time.perf_counter()
    fill_results(agg, results, rng)
    fill_events(agg, events, rng)
    built = time.perf_counter() - started
    agg.close()
    size = path.stat().st_size + sum(p.stat().st_size for p in folder.glob("indicators.sqlite3-*"))
    quarter = Period.preset(f"{YEAR}-Q3")
    rows: list[tuple[str, str, str]] = [
        (
            "inputs generated and aggregated",
            f"{results:,} results, {events:,} events",
            f"{built:.0f} s, aggregate {size / 2**20:.0f} MiB",
        ),
    ]
    for group_by in (None, "level", "issuer_code", "procedure_code"):
        cold_agg = EmbeddedIndicatorAggregate(path)
        started = time.perf_counter()
        figures = cold_agg.figures(quarter.start, quarter.end, group_by)  # type: ignore[arg-type]
        build_report(figures, quarter, group_by, registry=None, targets=Targets())  # type: ignore[arg-type]
        cold = time.perf_counter() - started
        warm = []
        for _ in range(5):
            started = time.perf_counter()
            figures = cold_agg.figures(quarter.start, quarter.end, group_by)  # type: ignore[arg-type]
            build_report(figures, quarter, group_by, registry=None, targets=Targets())  # type: ignore[arg-type]
            warm.append(time.perf_counter() - started)
        cold_agg.close()
        rows.append(
            (
                f"quarter's indicators, group_by={group_by or '—'}",
                f"settled {figures.totals.settled:,}, lookups {figures.lookups:,}",
                f"cold {cold * 1000:.0f} ms, warm p50 {statistics.median(warm) * 1000:.0f} ms",
            )
        )
    agg = EmbeddedIndicatorAggregate(path)
    started = time.perf_counter()
    _page, total = agg.notices(
        NoticeQuery(
            as_of=date(YEAR, 12, 31), state="waiting", issuer_code="000.00.15.H62", page_size=100
        )
    )
    rows.append(
        (
            "one agency's backlog, first page",
            f"{total:,} waiting",
            f"{(time.perf_counter() - started) * 1000:.0f} ms",
        )
    )
    agg.close()
    rate = time_feed(folder, 100_000)
    rows.append(("keeping in step: audit events through the feed", f"{rate:,.0f} events/s", ""))
    machine = (
        f"{platform.node()} · {platform.machine()} · {os.cpu_count()} cores · "
        f"Python {platform.python_version()}"
    )
    table = (
        f"### {datetime.now(UTC):%Y-%m-%d %H:%M} UTC · indicators (`bench/bench_indicators.py`)"
        f"\n\nMachine: {machine}\n\n| measure | size | time |\n|---|---|---|\n"
        + "".join(f"| {a} | {b} | {c} |\n" for a, b, c in rows)
    )
    print(table)
    if write:
        with (ROOT / "BENCHMARKS.md").open("a", encoding="utf-8") as out:
            out.write("\n" + table)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--results", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--write", action="store_true", help="append to BENCHMARKS.md")
    args = parser.parse_args()
    run(args.results, args.events, args.write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
