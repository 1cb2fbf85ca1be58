"""Kho's benchmark, one command: deposit throughput, lookup and search latency, HTTP lookups
under concurrent load, memory and disk per record, on the embedded default and (with
`--stack distributed`, after `scripts/services start`) on Elasticsearch + MinIO + Tika.

    .venv/bin/python bench/run.py                   # 2,000 results on the embedded default
    .venv/bin/python bench/run.py -n 10000 --write  # and append the figures to BENCHMARKS.md
    .venv/bin/python bench/run.py --deposits 1000   # and kho ingest --jobs 1|4 vs validation alone
    .venv/bin/python bench/run.py --digitize 8      # and scanned pages per minute (OCR included)
    .venv/bin/python bench/run.py --indicators      # and a quarter's Decision 468 indicators
                                                    # over 1,000,000 results, 10,000,000 events

The corpus (bench/corpus.py) is realistic in shape: one citizen per three results with a
long tail (most hold one or two, the heaviest dozens at any N), issuers across the levels,
dates over twenty years, names after Vietnamese surname frequencies. Each result is its
own signed PDF (rendered and signed before its deposit, outside the time measured), since
Kho refuses the same bytes under two result codes; every deposit hashes, extracts,
validates, stores, indexes and audits. Lookups are timed for ordinary citizens and for
the heaviest one; searches for rare names, for common terms (with facets and highlights)
and for common terms with filters. `--work DIR` keeps the archive, and a later run over it
goes on where the last stopped.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from corpus import COMMON_TERMS, RARE_TERMS, RESULT_TYPES, Corpus  # noqa: E402

from kho.demo.documents import ResultDocument, render_pdf  # noqa: E402
from kho.demo.pki import TestPKI  # noqa: E402
from kho.services import Access  # noqa: E402
from kho.services.queries import LookupQuery, SearchQuery  # noqa: E402
from kho.settings import load_settings  # noqa: E402
from kho.wiring import build_services  # noqa: E402

PURPOSE = Access.system(purpose="000.00.15.H62-261123-0001")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def signed_result(pki: TestPKI, i: int, meta: dict[str, Any]) -> bytes:
    """Result `i` as its own signed PDF: the subject's name and ID in the text (so extraction
    finds them), its own notation, so no two results share bytes (Kho refuses the same
    bytes under two result codes). Made before each deposit and not counted in its time."""
    subject = meta["subjects"][0]
    doc = ResultDocument(
        authority="ỦY BAN NHÂN DÂN\nXÃ TÂN PHONG",
        title=str(meta["result_type"]).upper(),
        notation=f"Số: {i + 1}/{meta['issued_on'][:4]}",
        facts=[
            ("Họ, chữ đệm, tên", str(subject["name"]).upper()),
            ("Số định danh cá nhân", str(subject["id"])),
            ("Mã hồ sơ", str(meta["dossier_code"])),
        ],
        place="Tân Phong",
        issued_on=date.fromisoformat(meta["issued_on"]),
        signer_title="CHỦ TỊCH",
        signer_name="Hoàng Văn Thắng",
    )
    return pki.sign_pdf(render_pdf(doc), "agency")


def row(label: str, ms: list[float]) -> tuple[str, str, str]:
    return (
        label,
        f"{1000 / statistics.mean(ms):.0f} /s one thread",
        f"p50 {percentile(ms, 50):.2f} ms, p99 {percentile(ms, 99):.2f} ms",
    )


def timed(fn: Callable[[], Any], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http_load(
    env: dict[str, str], token: str, subjects: list[str], threads: int, per_thread: int
) -> tuple[float, list[float], int]:
    import httpx

    port = free_port()
    kho = str(Path(sys.executable).with_name("kho"))
    server = subprocess.Popen(
        [kho, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        headers = {
            "Authorization": f"Bearer {token}",
            "X-Dossier-Code": "000.00.15.H62-261123-0001",
        }
        latencies: list[float] = []
        lock = threading.Lock()

        def worker(seed: int) -> None:
            rng = random.Random(seed)
            mine = []
            with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
                for _ in range(per_thread):
                    start = time.perf_counter()
                    r = client.get(f"/api/v1/subjects/{rng.choice(subjects)}/records")
                    r.raise_for_status()
                    mine.append((time.perf_counter() - start) * 1000)
            with lock:
                latencies.extend(mine)

        start = time.perf_counter()
        pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        elapsed = time.perf_counter() - start
        status = Path(f"/proc/{server.pid}/status").read_text()
        rss_kb = int(status.split("VmRSS:")[1].split()[0])
        return len(latencies) / elapsed, latencies, rss_kb
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=2000, help="results to deposit (default 2000)")
    parser.add_argument("--stack", choices=["embedded", "distributed"], default="embedded")
    parser.add_argument("--queries", type=int, default=500, help="lookups and searches timed")
    parser.add_argument("--threads", type=int, default=8, help="concurrent HTTP clients")
    parser.add_argument("--write", action="store_true", help="append the figures to BENCHMARKS.md")
    parser.add_argument(
        "--work",
        metavar="DIR",
        help="keep the archive in DIR (default: a new temporary folder); a later run over the "
        "same DIR goes on where the last one stopped, so a scale run can be split",
    )
    parser.add_argument(
        "--deposits",
        type=int,
        default=0,
        metavar="N",
        help="also time N deposits with `kho ingest --jobs 1|4` (1|16 distributed) against "
        "pyHanko validating the same files alone (bench_deposit.py; the files are cached)",
    )
    parser.add_argument(
        "--digitize",
        type=int,
        default=0,
        metavar="PAGES",
        help="also time digitization (bench_digitize.py) over this many scanned pages",
    )
    parser.add_argument(
        "--indicators",
        action="store_true",
        help="also time a quarter's indicators over 1,000,000 results and 10,000,000 audit "
        "events (bench_indicators.py; several minutes to generate)",
    )
    args = parser.parse_args()

    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="kho-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    overrides: dict[str, Any] = {"data_dir": work / "data"}
    if args.stack == "distributed":
        from support.backends import settings_overrides

        overrides = settings_overrides("distributed", work)
    pki = TestPKI.create(work / "pki")
    overrides.update(
        trust_roots=[pki.root_cert_path], trust_intermediates=list(pki.intermediate_cert_paths)
    )
    settings = load_settings(_env_file=None, **overrides)
    services = build_services(settings)
    rng = random.Random(468)
    # An archive built by bench/bulk.py keeps the day its corpus was drawn for.
    drawn = work / "bulk" / "today"
    corpus = Corpus(args.n, today=date.fromisoformat(drawn.read_text()) if drawn.exists() else None)

    # Resumable: result i is the same in every run, so a run over a kept --work folder goes on
    # from the number of results already archived.
    start_at = services.indexing.count() if args.work else 0
    todo = max(0, args.n - start_at)
    print(
        f"depositing {todo} results on {args.stack} ({start_at} already archived) …",
        file=sys.stderr,
    )
    deposit_ms: list[float] = []
    start = time.perf_counter()
    making = 0.0
    for i, _t, meta in corpus.items(start_at):
        t0 = time.perf_counter()
        pdf = signed_result(pki, i, meta)
        making += time.perf_counter() - t0
        t0 = time.perf_counter()
        services.deposit.deposit(pdf, f"kq-{i}.pdf", meta, Access.system())
        deposit_ms.append((time.perf_counter() - t0) * 1000)
        if (i + 1) % 500 == 0:
            print(f"  {i + 1}/{args.n}", file=sys.stderr)
    deposit_s = time.perf_counter() - start - making

    today = services.backends.today()
    ordinary = [corpus.ordinary_citizen(rng) for _ in range(max(10, args.queries))]
    heaviest = corpus.heaviest_citizen()
    lookup_ms = timed(
        lambda: services.lookup.lookup(
            LookupQuery(subject_id=rng.choice(ordinary), valid_on=today), PURPOSE
        ),
        args.queries,
    )
    heavy_ms = timed(
        lambda: services.lookup.lookup(LookupQuery(subject_id=heaviest, valid_on=today), PURPOSE),
        max(10, args.queries // 5),
    )
    heavy_total = services.lookup.lookup(
        LookupQuery(subject_id=heaviest, valid_on=today, include_invalid=True), PURPOSE
    ).total

    def search(q: str, **filters: Any) -> Callable[[], Any]:
        return lambda: services.search.search(SearchQuery(today=today, q=q, **filters), PURPOSE)

    rare_ms = timed(lambda: search(rng.choice(RARE_TERMS))(), args.queries)
    common_ms = timed(lambda: search(rng.choice(COMMON_TERMS))(), args.queries)
    common_total = services.search.search(SearchQuery(today=today, q="Nguyễn"), PURPOSE).total
    filtered_ms = timed(
        lambda: search(
            rng.choice(COMMON_TERMS),
            result_type=rng.choice(RESULT_TYPES)[2],
            issued_from=today.replace(year=today.year - 10),
        )(),
        args.queries,
    )

    token = services.keys.create(
        agency="000.00.15.H62", scopes={"records:read"}, access=Access.system()
    )[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("KHO_")}
    env.update(
        {
            f"KHO_{k.upper()}": str(v)
            for k, v in overrides.items()
            if k != "trust_roots" and k != "trust_intermediates"
        }
    )
    env["KHO_RATE_LIMIT_PER_MINUTE"] = "0"
    per_thread = max(1, args.queries * 2 // args.threads)
    rps, http_ms, rss_kb = http_load(env, token, ordinary, args.threads, per_thread)

    disk = (
        services.backends.store.disk_usage()
        if hasattr(services.backends.store, "disk_usage")
        else 0
    )
    index_file = settings.data_dir / "index"
    index_bytes = (
        sum(p.stat().st_size for p in index_file.rglob("*") if p.is_file())
        if index_file.exists()
        else 0
    )
    rows = [
        (
            "deposit",
            f"{todo / deposit_s:.1f} results/s" if todo else "n/a (resumed, none left)",
            f"p50 {percentile(deposit_ms, 50):.1f} ms, p99 {percentile(deposit_ms, 99):.1f} ms",
        ),
        row("lookup (service), ordinary citizen", lookup_ms),
        row(f"lookup (service), heaviest citizen ({heavy_total} results)", heavy_ms),
        row("search, rare name", rare_ms),
        row(f"search, common terms (Nguyễn: {common_total} matches), facets", common_ms),
        row("search, common terms + type + 10 years", filtered_ms),
        (
            f"lookup (HTTP, {args.threads} clients)",
            f"{rps:.0f} /s",
            f"p50 {percentile(http_ms, 50):.1f} ms, p99 {percentile(http_ms, 99):.1f} ms",
        ),
        ("kho serve RSS", f"{rss_kb / 1024:.0f} MiB", "after the HTTP load"),
        (
            "disk per record",
            f"{(disk + index_bytes) / args.n / 1024:.1f} KiB" if disk else "n/a",
            "store + index (each result its own signed PDF)" if disk else "MinIO/ES",
        ),
        (
            "bench process max RSS",
            f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB",
            "",
        ),
    ]
    machine = (
        f"{platform.node()} · {platform.machine()} · {os.cpu_count()} cores · "
        f"Python {platform.python_version()}"
    )
    header = (
        f"### {datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {args.stack} · n={args.n}\n\n"
        f"Machine: {machine}\n\n| measure | rate | latency |\n|---|---|---|\n"
    )
    table = header + "".join(f"| {a} | {b} | {c} |\n" for a, b, c in rows)
    print(table)
    if args.write:
        with (ROOT / "BENCHMARKS.md").open("a", encoding="utf-8") as out:
            out.write("\n" + table)
    services.close()
    if args.deposits:
        from bench_deposit import run as run_deposits

        jobs = (1, 16) if args.stack == "distributed" else (1, 4)
        deposits = run_deposits(args.deposits, jobs, args.stack, False)
        table = (
            f"### {datetime.now(UTC):%Y-%m-%d %H:%M} UTC · deposits · {args.stack} · "
            f"n={args.deposits}\n\nMachine: {machine}\n\n| measure | rate | latency |\n"
            "|---|---|---|\n" + "".join(f"| {a} | {b} | {c} |\n" for a, b, c in deposits)
        )
        print(table)
        if args.write:
            with (ROOT / "BENCHMARKS.md").open("a", encoding="utf-8") as out:
                out.write("\n" + table)
    if args.digitize:
        from bench_digitize import run as run_digitize

        run_digitize(args.digitize, os.cpu_count() or 1, args.stack, args.write)
    if args.indicators:
        from bench_indicators import run as run_indicators

        run_indicators(1_000_000, 10_000_000, args.write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
