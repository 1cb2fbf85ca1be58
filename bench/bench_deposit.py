"""Deposit throughput end to end, against pyHanko validating the same files alone.

Makes N signed results (each its own PDF, with its metadata; bench/corpus.py) once into a
cache folder outside the repository (~/.cache/kho/bench-deposit/<N>, reused by later runs),
then, on a fresh data folder each:
- deposits them in this process, one thread, timing each (p50/p99);
- runs `kho ingest --jobs J` over them for each J asked (J deposits under way at once;
  wall time: the process started, services built, every deposit durable);
and, in the same run, validates the same files with pyHanko alone (Kho's signature
validation, nothing else), the reference the deposit is measured against. The ratio
deposit time / validation-alone time says how much the rest of a deposit (hash, extract,
store, index, audit) costs beyond the validation; the machine is shared, so the ratio is
the figure that carries across runs.

    .venv/bin/python bench/bench_deposit.py -n 1000 --jobs 1 4
    .venv/bin/python bench/bench_deposit.py -n 300 --stack distributed --jobs 1 16 --no-in-process
    .venv/bin/python bench/bench_deposit.py -n 300 --profile   # pyinstrument, one thread
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

from corpus import Corpus  # noqa: E402
from run import signed_result  # noqa: E402

from kho.demo.pki import TestPKI  # noqa: E402

__all__ = ["Cached", "make_corpus", "run"]

KHO = str(Path(sys.executable).with_name("kho"))


@dataclass(frozen=True)
class Cached:
    """N signed results on disk: kq-<i>.pdf and metadata.json (a list aligned with them)."""

    folder: Path
    pki: TestPKI
    files: list[Path]
    metadata: Path

    def metas(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = json.loads(self.metadata.read_text(encoding="utf-8"))
        return result


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kho" / "bench-deposit"


def make_corpus(n: int, folder: Path | None = None) -> Cached:
    """The N signed results in `folder` (default ~/.cache/kho/bench-deposit/<N>), made only
    where missing, so a later run reuses them."""
    folder = folder or cache_root() / str(n)
    pdfs = folder / "pdfs"
    pdfs.mkdir(parents=True, exist_ok=True)
    pki = TestPKI.create(folder / "pki")
    corpus = Corpus(n)
    metas: list[dict[str, Any]] = []
    files: list[Path] = []
    made = 0
    for i, _t, meta in corpus.items():
        path = pdfs / f"kq-{i:07d}.pdf"
        if not path.is_file():
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(signed_result(pki, i, meta))
            tmp.replace(path)
            made += 1
            if made % 200 == 0:
                print(f"  made {made} signed PDFs", file=sys.stderr)
        metas.append(meta)
        files.append(path)
    metadata = folder / "metadata.json"
    metadata.write_text(json.dumps(metas, ensure_ascii=False), encoding="utf-8")
    return Cached(folder, pki, files, metadata)


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def _env(cached: Cached, data_dir: Path, stack: str, work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KHO_")}
    if stack == "distributed":
        from support.backends import settings_overrides

        for key, value in settings_overrides("distributed", work).items():
            if isinstance(value, list | tuple):
                env[f"KHO_{key.upper()}"] = os.pathsep.join(str(v) for v in value)
            elif value is not None:
                env[f"KHO_{key.upper()}"] = str(value)
    env["KHO_DATA_DIR"] = str(data_dir)
    env["KHO_TRUST_ROOTS"] = str(cached.pki.root_cert_path)
    env["KHO_TRUST_INTERMEDIATES"] = os.pathsep.join(
        str(p) for p in cached.pki.intermediate_cert_paths
    )
    return env


def _settings(cached: Cached, data_dir: Path, stack: str, work: Path) -> Any:
    from kho.settings import load_settings

    overrides: dict[str, Any] = {"data_dir": data_dir}
    if stack == "distributed":
        from support.backends import settings_overrides

        overrides = settings_overrides("distributed", work)
        overrides["data_dir"] = data_dir
    overrides.update(
        trust_roots=[cached.pki.root_cert_path],
        trust_intermediates=list(cached.pki.intermediate_cert_paths),
    )
    return load_settings(_env_file=None, **overrides)


def validate_alone(cached: Cached) -> tuple[float, list[float]]:
    """pyHanko validating every file, as Kho validates a deposit (same trust, same policy,
    same path cache), nothing else: (seconds, per-file ms)."""
    from kho.archive.signatures import Indication, TrustConfig, install, validate_pdf

    install()
    trust = TrustConfig.from_paths(
        [cached.pki.root_cert_path], cached.pki.intermediate_cert_paths, []
    )
    documents = [p.read_bytes() for p in cached.files]
    ms: list[float] = []
    start = time.perf_counter()
    for document in documents:
        t0 = time.perf_counter()
        report = validate_pdf(document, trust)
        ms.append((time.perf_counter() - t0) * 1000)
        if report.indication is not Indication.TOTAL_PASSED:
            raise SystemExit(f"unexpected verdict {report.summary()}")
    return time.perf_counter() - start, ms


def deposit_in_process(
    cached: Cached, data_dir: Path, stack: str, work: Path, *, profile: bool = False
) -> tuple[float, list[float]]:
    """Every file deposited by the services in this process, one thread."""
    from kho.services import Access
    from kho.wiring import build_services

    services = build_services(_settings(cached, data_dir, stack, work))
    access = Access.system()
    documents = [(p.name, p.read_bytes()) for p in cached.files]
    metas = cached.metas()
    # One deposit first, outside the time: the extraction workers start, caches fill.
    services.deposit.deposit(documents[0][1], documents[0][0], metas[0], access)
    profiler = None
    if profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        profiler.start()
    ms: list[float] = []
    start = time.perf_counter()
    for (name, data), meta in zip(documents[1:], metas[1:], strict=True):
        t0 = time.perf_counter()
        outcome = services.deposit.deposit(data, name, meta, access)
        ms.append((time.perf_counter() - t0) * 1000)
        if outcome.outcome != "created" or not outcome.indexed:
            raise SystemExit(f"unexpected outcome {outcome.outcome} for {name}")
    elapsed = time.perf_counter() - start
    if profiler is not None:
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False), file=sys.stderr)
    return elapsed, ms


def ingest(cached: Cached, data_dir: Path, stack: str, work: Path, jobs: int) -> float:
    """`kho ingest --jobs J` over every file, wall time (seconds); every outcome created."""
    start = time.perf_counter()
    result = subprocess.run(
        [KHO, "ingest", "--jobs", str(jobs), "-q", "--metadata", str(cached.metadata)]
        + [str(p) for p in cached.files],
        env=_env(cached, data_dir, stack, work),
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    outcomes = [json.loads(line)["outcome"] for line in result.stdout.splitlines()]
    if result.returncode != 0 or outcomes.count("created") != len(cached.files):
        raise SystemExit(
            f"kho ingest --jobs {jobs} failed ({result.returncode}): "
            f"{result.stderr[-2000:]} {[o for o in outcomes if o != 'created'][:5]}"
        )
    return elapsed


def run(
    n: int,
    jobs: list[int] | tuple[int, ...] = (1, 2),
    stack: str = "embedded",
    write: bool = False,
    *,
    profile: bool = False,
    in_process: bool = True,
) -> list[tuple[str, str, str]]:
    """The rows (what, rate, latency and ratio) of one run; `write` prints them as a
    Markdown table too (the caller puts them where it wants)."""
    cached = make_corpus(n)
    rows: list[tuple[str, str, str]] = []
    alone_s, alone_ms = validate_alone(cached)
    rows.append(
        (
            "pyHanko validation alone (reference)",
            f"{n / alone_s:.1f} /s one thread",
            f"p50 {_pct(alone_ms, 50):.1f} ms, p99 {_pct(alone_ms, 99):.1f} ms",
        )
    )
    with tempfile.TemporaryDirectory(prefix="kho-bench-deposit-") as tmp:
        work = Path(tmp)
        if in_process:
            seconds, ms = deposit_in_process(
                cached, work / "in-process", stack, work / "w0", profile=profile
            )
            per_file = seconds / len(ms)
            rows.append(
                (
                    f"deposit in process, one thread ({stack})",
                    f"{len(ms) / seconds:.1f} /s",
                    f"p50 {_pct(ms, 50):.1f} ms, p99 {_pct(ms, 99):.1f} ms; "
                    f"{per_file / (alone_s / n):.2f}× validation alone",
                )
            )
        for j in jobs:
            seconds = ingest(cached, work / f"ingest-{j}", stack, work / f"w{j}", j)
            rows.append(
                (
                    f"kho ingest --jobs {j} ({stack}, wall, start-up included)",
                    f"{n / seconds:.1f} /s",
                    f"{seconds / alone_s:.2f}× validation alone (one thread)",
                )
            )
    if write:
        print("| what | rate | latency / ratio |\n|---|---|---|")
        for row in rows:
            print("| " + " | ".join(row) + " |")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=1000, help="signed results (default 1000)")
    parser.add_argument(
        "--jobs", type=int, nargs="*", default=[1, 4], help="kho ingest --jobs to time (1 4)"
    )
    parser.add_argument("--stack", choices=["embedded", "distributed"], default="embedded")
    parser.add_argument("--write", action="store_true", help="print a Markdown table too")
    parser.add_argument("--profile", action="store_true", help="pyinstrument the in-process run")
    parser.add_argument("--no-in-process", action="store_true", help="only the kho ingest runs")
    args = parser.parse_args(argv)
    if args.n < 2:
        parser.error("-n must be at least 2")
    print(f"load average {os.getloadavg()}, {os.cpu_count()} cores", file=sys.stderr)
    rows = run(
        args.n,
        args.jobs,
        args.stack,
        args.write,
        profile=args.profile,
        in_process=not args.no_in_process,
    )
    for what, rate, latency in rows:
        print(f"{what:<58} {rate:>18}   {latency}")
    print(f"load average {os.getloadavg()}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
