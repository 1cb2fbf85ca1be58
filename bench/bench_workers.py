"""HTTP reuse lookups per second from `kho serve --workers N`, with the clients in other
processes (so their own Python does not share the server's cores' GIL with it):

    .venv/bin/python bench/bench_workers.py                 # 300 results; 1 and 2 workers
    .venv/bin/python bench/bench_workers.py --workers 1,2,4 --seconds 20

The archive is built on the embedded default (signed results with distinct bytes, subjects
with a few results each); each run starts a server, warms it for a second, then looks
subjects up for `--seconds` and reports lookups/s, latency percentiles and each worker's
RSS; then, as a reference for this noisy shared machine, the same load on /healthz (no key,
no index, no audit) and the ratio of the two. Rate limiting is on, with a limit too high
to refuse anything (`--rate-limit`, a minute's allowance per key), so each lookup pays for
the counters the workers share; `--rate-limit 0` turns it off.

The load comes from kho-loadgen (bench/loadgen, Go's standard library only), one process
with `--connections` connections, so the clients' own CPU stays small next to the
server's. It is built once into ~/.cache/kho/bin (or KHO_LOADGEN names a binary); without
Go, or with --python-clients, `--clients` Python processes of `--threads` httpx threads
each send the load instead (they use far more CPU: on 2 cores they slow the server down),
and the output says so.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import os
import platform
import random
import shutil
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
LOADGEN_SOURCE = HERE / "loadgen"


def loadgen() -> tuple[str | None, str]:
    """The kho-loadgen binary (built from bench/loadgen if need be), or None and why not."""
    given = os.environ.get("KHO_LOADGEN")
    if given:
        return (given, "KHO_LOADGEN") if Path(given).is_file() else (None, f"no {given}")
    source = (LOADGEN_SOURCE / "main.go").read_bytes() + (LOADGEN_SOURCE / "go.mod").read_bytes()
    tag = hashlib.sha256(source).hexdigest()[:12]
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "kho" / "bin"
    binary = cache / f"kho-loadgen-{tag}"
    if binary.is_file():
        return str(binary), "cached"
    go = shutil.which("go") or (
        "/usr/local/go/bin/go" if Path("/usr/local/go/bin/go").is_file() else None
    )
    if go is None:
        return None, "Go is not installed (https://go.dev/dl/), so kho-loadgen cannot be built"
    cache.mkdir(parents=True, exist_ok=True)
    built = subprocess.run(
        [go, "build", "-o", str(binary), "."],
        cwd=LOADGEN_SOURCE,
        env={**os.environ, "GOFLAGS": "-mod=mod", "CGO_ENABLED": "0"},
        capture_output=True,
        text=True,
    )
    if built.returncode != 0:
        return None, f"go build failed: {built.stderr.strip()[:300]}"
    return str(binary), "built"


def go_load(
    binary: str,
    base: str,
    paths: list[str],
    headers: dict[str, str],
    args: argparse.Namespace,
    rate: float = 0.0,
) -> tuple[list[float], int]:
    """Latencies (ms) and failed requests from one kho-loadgen run."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("\n".join(paths))
    command = [
        binary,
        "-base",
        base,
        "-paths",
        f.name,
        "-c",
        str(args.connections),
        "-d",
        f"{args.seconds}s",
        "-q",
        str(rate),
    ]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=args.seconds + 120)
    finally:
        os.unlink(f.name)
    if done.returncode != 0:
        raise SystemExit(f"kho-loadgen failed: {done.stderr.strip()}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result["latencies"] or [], int(result["errors"]) + int(result["failures"])


def worker_rss_mib(server_pid: int) -> list[float]:
    """The RSS (MiB) of the server process's children (its workers), or of itself alone."""

    def rss(pid: int) -> float:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    try:
        children = Path(f"/proc/{server_pid}/task/{server_pid}/children").read_text().split()
        pids = [int(c) for c in children] or [server_pid]
        return [rss(p) for p in pids]
    except OSError:
        return []


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
    env = {**env, "KHO_RATE_LIMIT_PER_MINUTE": str(args.rate_limit)}
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
        headers = {"Authorization": f"Bearer {token}", "X-Dossier-Code": PURPOSE}
        with contextlib.redirect_stdout(io.StringIO()):
            client(base, token, subjects, 1.0, 2)  # warm-up, not counted
        if args.binary:
            paths = [f"/api/v1/subjects/{s}/records" for s in subjects]
            latencies, errors = go_load(args.binary, base, paths, headers, args)
            reference, _ = go_load(args.binary, base, ["/healthz"], {}, args)
            paced, paced_errors = (
                go_load(args.binary, base, paths, headers, args, args.rate)
                if args.rate
                else ([], 0)
            )
            errors += paced_errors
        else:
            latencies, errors = python_load(base, token, subjects, args)
            reference, paced = [], []
        rss = worker_rss_mib(server.pid)
        return {
            "workers": workers,
            "lookups_per_s": len(latencies) / args.seconds,
            "p50_ms": percentile(latencies, 50),
            "p99_ms": percentile(latencies, 99),
            "errors": errors,
            "healthz_per_s": len(reference) / args.seconds,
            "healthz_p99_ms": percentile(reference, 99) if reference else 0.0,
            "rss_mib": max(rss) if rss else 0.0,
            "paced_per_s": len(paced) / args.seconds,
            "paced_p50_ms": percentile(paced, 50) if paced else 0.0,
            "paced_p99_ms": percentile(paced, 99) if paced else 0.0,
        }
    finally:
        server.terminate()
        server.wait(timeout=30)


def python_load(
    base: str, token: str, subjects: list[str], args: argparse.Namespace
) -> tuple[list[float], int]:
    subjects_file = Path(tempfile.mkdtemp(prefix="kho-bench-")) / "subjects.json"
    subjects_file.write_text(json.dumps(subjects))
    command = [sys.executable, __file__, "--client", base, token, str(subjects_file)]
    procs = [
        subprocess.Popen(
            [*command, str(args.seconds), str(args.threads)], stdout=subprocess.PIPE, text=True
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
    return latencies, errors


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
    parser.add_argument(
        "--connections", type=int, default=16, help="kho-loadgen's connections (default 16)"
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=500.0,
        help="lookups a second of the paced run, whose latencies count from when each "
        "request was due (default 500, the target; 0 skips it)",
    )
    parser.add_argument(
        "--rate-limit",
        type=int,
        default=10_000_000,
        help="KHO_RATE_LIMIT_PER_MINUTE of the server (default 10000000: counted, never hit)",
    )
    parser.add_argument(
        "--python-clients", action="store_true", help="Python httpx clients, not kho-loadgen"
    )
    parser.add_argument(
        "--keep",
        type=Path,
        help="build the archive in this folder and keep it; reuse it when run again",
    )
    args = parser.parse_args()
    args.binary, how = (None, "--python-clients") if args.python_clients else loadgen()
    if args.binary:
        load = f"kho-loadgen ({how}), 1 process × {args.connections} connections"
    else:
        load = (
            f"Python clients ({args.clients} processes × {args.threads} threads) because "
            f"kho-loadgen is not available: {how}"
        )
        print(f"note: {load}", file=sys.stderr)
    work = args.keep or Path(tempfile.mkdtemp(prefix="kho-bench-workers-"))
    saved = work / "bench.json"
    if args.keep and saved.is_file():
        env, token, subjects, args.n = json.loads(saved.read_text())
    else:
        env, token, subjects = build(work, args.n)
        saved.write_text(json.dumps([env, token, subjects, args.n]))
    rows = [run_once(env, token, subjects, int(w), args) for w in args.workers.split(",")]
    print(
        f"machine: {platform.node()} {os.cpu_count()} cores, {platform.python_version()}; "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; load average {os.getloadavg()[0]:.2f}; "
        f"{args.n} results; {load}; {args.seconds:.0f} s per run"
    )
    print(
        "Saturated: as many lookups as the server answers from all connections; paced: "
        f"{args.rate:.0f} lookups/s offered, latency from when each was due."
    )
    print(
        "| workers | saturated lookups/s | p50 | p99 | paced lookups/s | p50 | p99 | errors "
        "| RSS/worker | /healthz/s | lookups ÷ healthz |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        ratio = r["lookups_per_s"] / r["healthz_per_s"] if r["healthz_per_s"] else 0.0
        print(
            f"| {r['workers']} | {r['lookups_per_s']:.0f} | {r['p50_ms']:.1f} ms "
            f"| {r['p99_ms']:.1f} ms | {r['paced_per_s']:.0f} | {r['paced_p50_ms']:.1f} ms "
            f"| {r['paced_p99_ms']:.1f} ms | {r['errors']:.0f} | {r['rss_mib']:.0f} MiB "
            f"| {r['healthz_per_s']:.0f} | {ratio:.2f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
