"""HTTP reuse lookups per second from `kho serve --workers N`, with the clients in other
processes (so their own Python does not share the server's cores' GIL with it):

    .venv/bin/python bench/bench_workers.py                 # 300 results; 1 and 2 workers
    .venv/bin/python bench/bench_workers.py --workers 1,2,4 --seconds 20

The archive is built on the embedded default (signed results with distinct bytes, subjects
with a few results each); each run starts a server, warms it for a second, then lets
`--clients` processes of `--threads` threads each look subjects up for `--seconds`, and
reports lookups/s and latency percentiles. Rate limiting is off (KHO_RATE_LIMIT_PER_MINUTE=0).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

PURPOSE = "000.00.15.H62-261123-0001"


def client(base: str, token: str, subjects: list[str], seconds: float, threads: int) -> None:
    """One client process: prints one JSON line of latencies in ms."""
    import httpx

    headers = {"Authorization": f"Bearer {token}", "X-Dossier-Code": PURPOSE}
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    until = time.perf_counter() + seconds

    def loop(seed: int) -> None:
        nonlocal errors
        rng = random.Random(seed)
        mine: list[float] = []
        bad = 0
        with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
            while time.perf_counter() < until:
                start = time.perf_counter()
                response = http.get(f"/api/v1/subjects/{rng.choice(subjects)}/records")
                if response.status_code != 200:
                    bad += 1
                mine.append((time.perf_counter() - start) * 1000)
        with lock:
            latencies.extend(mine)
            errors += bad

    pool = [threading.Thread(target=loop, args=(os.getpid() * 100 + n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    print(json.dumps({"latencies": latencies, "errors": errors}))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))]


def build(work: Path, n: int) -> tuple[dict[str, str], str, list[str]]:
    from corpus import Corpus
    from run import signed_result

    from kho.demo.pki import TestPKI
    from kho.services import Access
    from kho.settings import load_settings
    from kho.wiring import build_services

    pki = TestPKI.create(work / "pki")
    settings = load_settings(
        _env_file=None,
        data_dir=work / "data",
        trust_roots=[pki.root_cert_path],
        trust_intermediates=list(pki.intermediate_cert_paths),
    )
    services = build_services(settings)
    rng = random.Random(468)
    corpus = Corpus(n)
    subjects = [corpus.ordinary_citizen(rng) for _ in range(max(10, n // 3))]
    print(f"depositing {n} results …", file=sys.stderr)
    for i, _t, meta in corpus.items():
        # One signed result, one record: each its own signed PDF (bench/run.py).
        services.deposit.deposit(signed_result(pki, i, meta), f"kq-{i}.pdf", meta, Access.system())
    token = services.keys.create(
        agency="000.00.15.H62", scopes={"records:read"}, access=Access.system()
    )[1]
    services.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KHO_")}
    env.update(
        KHO_DATA_DIR=str(work / "data"),
        KHO_TRUST_ROOTS=str(pki.root_cert_path),
        KHO_TRUST_INTERMEDIATES=os.pathsep.join(map(str, pki.intermediate_cert_paths)),
        KHO_RATE_LIMIT_PER_MINUTE="0",
    )
    return env, token, subjects


def run_once(
    env: dict[str, str], token: str, subjects: list[str], workers: int, args: argparse.Namespace
) -> dict[str, float]:
    import httpx
    from run import free_port

    port = free_port()
    kho = str(Path(sys.executable).with_name("kho"))
    server = subprocess.Popen(
        [kho, "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        time.sleep(2.0 if workers > 1 else 0.5)  # every worker up
        subjects_file = Path(env["KHO_DATA_DIR"]).parent / "subjects.json"
        subjects_file.write_text(json.dumps(subjects))
        command = [sys.executable, __file__, "--client", base, token, str(subjects_file)]
        with contextlib.redirect_stdout(io.StringIO()):
            client(base, token, subjects, 1.0, 2)  # warm-up, not counted
        procs = [
            subprocess.Popen(
                [*command, str(args.seconds), str(args.threads)],
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(args.clients)
        ]
        latencies: list[float] = []
        errors = 0
        for proc in procs:
            out, _ = proc.communicate(timeout=args.seconds + 120)
            result = json.loads(out.strip().splitlines()[-1])
            latencies.extend(result["latencies"])
            errors += result["errors"]
        return {
            "workers": workers,
            "lookups_per_s": len(latencies) / args.seconds,
            "p50_ms": percentile(latencies, 50),
            "p99_ms": percentile(latencies, 99),
            "errors": errors,
        }
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--client":
        base, token, subjects_file, seconds, threads = sys.argv[2:7]
        subjects = json.loads(Path(subjects_file).read_text())
        client(base, token, subjects, float(seconds), int(threads))
        return 0
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=300, help="results to deposit (default 300)")
    parser.add_argument("--workers", default="1,2", help="worker counts to run (default 1,2)")
    parser.add_argument("--seconds", type=float, default=10.0, help="load per run (default 10)")
    parser.add_argument("--clients", type=int, default=2, help="client processes (default 2)")
    parser.add_argument("--threads", type=int, default=4, help="threads per client (default 4)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kho-bench-workers-"))
    env, token, subjects = build(work, args.n)
    rows = [run_once(env, token, subjects, int(w), args) for w in args.workers.split(",")]
    print(
        f"machine: {platform.node()} {os.cpu_count()} cores, {platform.python_version()}; "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {args.n} results, {args.clients} client "
        f"processes × {args.threads} threads, {args.seconds:.0f} s per run"
    )
    print("| workers | lookups/s | p50 | p99 | errors |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['workers']} | {r['lookups_per_s']:.0f} | {r['p50_ms']:.1f} ms "
            f"| {r['p99_ms']:.1f} ms | {r['errors']:.0f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
