"""Kho's benchmark, one command: deposit throughput, lookup and search latency, HTTP lookups
under concurrent load, memory and disk per record, on the embedded default and (with
`--stack distributed`, after `scripts/services start`) on Elasticsearch + MinIO + Tika.

    .venv/bin/python bench/run.py                   # 2,000 results on the embedded default
    .venv/bin/python bench/run.py -n 10000 --write  # and append the figures to BENCHMARKS.md
    .venv/bin/python bench/run.py --digitize 8      # and scanned pages per minute (OCR included)
    .venv/bin/python bench/run.py --indicators      # and a quarter's Decision 468 indicators
                                                    # over 1,000,000 results, 10,000,000 events

The corpus reuses a few signed templates with varied metadata (each deposit still hashes,
extracts, validates signatures, writes its package, indexes and audits), so generating it
costs little beside what is measured.
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
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from kho.demo.documents import ResultDocument, render_pdf  # noqa: E402
from kho.demo.pki import TestPKI  # noqa: E402
from kho.services import Access  # noqa: E402
from kho.services.queries import LookupQuery, SearchQuery  # noqa: E402
from kho.settings import load_settings  # noqa: E402
from kho.wiring import build_services  # noqa: E402

SURNAMES = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Huỳnh",
    "Phan",
    "Vũ",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
]
MIDDLE = ["Văn", "Thị", "Minh", "Hồng", "Đức", "Thanh", "Quốc", "Ngọc", "Xuân", "Thu"]
GIVEN = [
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Giang",
    "Hà",
    "Hải",
    "Hương",
    "Khánh",
    "Lan",
    "Long",
    "Mai",
    "Nam",
    "Nhung",
    "Phúc",
    "Quang",
    "Sơn",
    "Tâm",
    "Thảo",
    "Tuấn",
    "Vy",
    "Yến",
]
TYPES = [
    ("1.001193", "Thủ tục đăng ký khai sinh", "Giấy khai sinh", None),
    (
        "1.004873",
        "Thủ tục cấp Giấy xác nhận tình trạng hôn nhân",
        "Giấy xác nhận tình trạng hôn nhân",
        180,
    ),
    ("2.000488", "Thủ tục cấp Phiếu lý lịch tư pháp", "Phiếu lý lịch tư pháp", 180),
    (
        "1.012756",
        "Thủ tục cấp Giấy chứng nhận quyền sử dụng đất lần đầu",
        "Giấy chứng nhận quyền sử dụng đất",
        None,
    ),
    (
        "2.000575",
        "Thủ tục đăng ký thành lập hộ kinh doanh",
        "Giấy chứng nhận đăng ký hộ kinh doanh",
        None,
    ),
]
PURPOSE = Access.system(purpose="000.00.15.H62-261123-0001")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def citizen(rng: random.Random) -> str:
    province = rng.choice(["01", "12", "79", "48", "31"])
    return f"0{province}{rng.choice('0123')}{rng.randrange(10**8):08d}"


def templates(pki: TestPKI) -> list[bytes]:
    out = []
    for _code, _proc, result_type, _days in TYPES:
        doc = ResultDocument(
            authority="ỦY BAN NHÂN DÂN\nXÃ TÂN PHONG",
            title=result_type.upper(),
            notation="Số: 1/2026",
            facts=[("Họ, chữ đệm, tên", "NGUYỄN VĂN AN"), ("Nơi cư trú", "Tân Phong, Lai Châu")],
            place="Tân Phong",
            issued_on=date(2026, 1, 2),
            signer_title="CHỦ TỊCH",
            signer_name="Hoàng Văn Thắng",
        )
        out.append(pki.sign_pdf(render_pdf(doc), "agency"))
    return out


def metadata(i: int, rng: random.Random, subjects: list[str]) -> tuple[int, dict[str, Any]]:
    t = rng.randrange(len(TYPES))
    code, proc, result_type, days = TYPES[t]
    issued = date.today() - timedelta(days=rng.randrange(1, 900))
    dossier = f"000.00.15.H62-{issued:%y%m%d}-{i % 10000:04d}"
    name = f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
    meta: dict[str, Any] = {
        "issuer_code": "000.00.15.H62",
        "result_code": f"{dossier}-KQ{i // 10000 + 1}",
        "dossier_code": dossier,
        "procedure_code": code,
        "procedure_name": proc,
        "result_type": result_type,
        "subjects": [{"kind": "citizen", "id": rng.choice(subjects), "name": name}],
        "issued_on": issued.isoformat(),
    }
    if days:
        meta["valid_until"] = (issued + timedelta(days=days)).isoformat()
    return t, meta


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

    work = Path(tempfile.mkdtemp(prefix="kho-bench-"))
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
    subjects = [citizen(rng) for _ in range(max(10, args.n // 3))]
    pdfs = templates(pki)

    print(f"depositing {args.n} results on {args.stack} …", file=sys.stderr)
    deposit_ms: list[float] = []
    start = time.perf_counter()
    for i in range(args.n):
        t, meta = metadata(i, rng, subjects)
        t0 = time.perf_counter()
        services.deposit.deposit(pdfs[t], f"kq-{i}.pdf", meta, Access.system())
        deposit_ms.append((time.perf_counter() - t0) * 1000)
        if (i + 1) % 500 == 0:
            print(f"  {i + 1}/{args.n}", file=sys.stderr)
    deposit_s = time.perf_counter() - start

    today = services.backends.today()
    lookup_ms = timed(
        lambda: services.lookup.lookup(
            LookupQuery(subject_id=rng.choice(subjects), valid_on=today), PURPOSE
        ),
        args.queries,
    )
    words = ["khai sinh", "tran van", "dat", "nguyen thi mai", "phieu ly lich", "ho kinh doanh"]
    search_ms = timed(
        lambda: services.search.search(SearchQuery(today=today, q=rng.choice(words)), PURPOSE),
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
    rps, http_ms, rss_kb = http_load(env, token, subjects, args.threads, per_thread)

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
            f"{args.n / deposit_s:.1f} results/s",
            f"p50 {percentile(deposit_ms, 50):.1f} ms, p99 {percentile(deposit_ms, 99):.1f} ms",
        ),
        (
            "lookup (service)",
            f"{1000 / statistics.mean(lookup_ms):.0f} /s one thread",
            f"p50 {percentile(lookup_ms, 50):.2f} ms, p99 {percentile(lookup_ms, 99):.2f} ms",
        ),
        (
            "search (service)",
            f"{1000 / statistics.mean(search_ms):.0f} /s one thread",
            f"p50 {percentile(search_ms, 50):.2f} ms, p99 {percentile(search_ms, 99):.2f} ms",
        ),
        (
            f"lookup (HTTP, {args.threads} clients)",
            f"{rps:.0f} /s",
            f"p50 {percentile(http_ms, 50):.1f} ms, p99 {percentile(http_ms, 99):.1f} ms",
        ),
        ("kho serve RSS", f"{rss_kb / 1024:.0f} MiB", "after the HTTP load"),
        (
            "disk per record",
            f"{(disk + index_bytes) / args.n / 1024:.1f} KiB" if disk else "n/a",
            "store + index (originals deduplicated: templates reused)" if disk else "MinIO/ES",
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
    if args.digitize:
        from bench_digitize import run as run_digitize

        run_digitize(args.digitize, os.cpu_count() or 1, args.stack, args.write)
    if args.indicators:
        from bench_indicators import run as run_indicators

        run_indicators(1_000_000, 10_000_000, args.write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
