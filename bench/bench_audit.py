"""Audit trail throughput and lookup latency with auditing on, on the embedded default.

Appends events from 1 and 8 threads to a fresh trail (group commit: concurrent appends share
one durable write) and reports events per second and events per write; then deposits a few
signed results and times reuse lookups (each one an audit event made durable before it
returns) from 1 and 8 threads, reporting lookups per second and p50/p99 latency.

    .venv/bin/python bench/bench_audit.py [-n 1600] [--lookups 400]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path

# The test PKI's extras (a plain result PDF) are the tests' (tests/support/pki.py).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from support.pki import TestPKI, sample_result_pdf

from kho.archive.audit import AuditTrail
from kho.archive.manifest import Actor
from kho.archive.stores.local import LocalObjectStore
from kho.services import Access
from kho.services.queries import LookupQuery
from kho.settings import load_settings
from kho.wiring import build_services


def _threads(count: int, work: object) -> float:
    threads = [threading.Thread(target=work) for _ in range(count)]  # type: ignore[arg-type]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started


def bench_appends(folder: Path, total: int) -> None:
    for count in (1, 8):
        trail = AuditTrail(LocalObjectStore(folder / f"store-{count}"))

        def work(n: int = total // count, trail: AuditTrail = trail) -> None:
            for i in range(n):
                trail.append(
                    at=datetime.now(UTC),
                    action="lookup",
                    actor={"agency": "000.00.15.H62", "key_id": "0123456789abcdef"},
                    outcome="ok",
                    purpose="000.00.15.H62-261123-0001",
                    record_ids=("01JD3V7Y8K3N2W6Q4T9ZB5XK1M",),
                    subject_ids=("001203001234",),
                    detail={"i": i},
                )

        seconds = _threads(count, work)
        stats = trail.stats
        print(
            f"append, {count} thread(s): {stats['events'] / seconds:7.0f} events/s, "
            f"{stats['events'] / max(1, stats['batches']):.1f} events per durable write"
        )


def bench_lookups(folder: Path, total: int) -> None:
    pki = TestPKI.create(folder / "pki")
    settings = load_settings(
        _env_file=None,
        data_dir=folder / "data",
        trust_roots=[pki.root_cert_path],
        trust_intermediates=list(pki.intermediate_cert_paths),
        crls=list(pki.crl_paths),
    )
    services = build_services(settings)
    pdf = sample_result_pdf(lines=("Họ, chữ đệm, tên: TRẦN VĂN ĐỨC",))
    for i in range(10):
        services.deposit.deposit(
            pki.sign_pdf(pdf, "agency"),
            "giay-khai-sinh.pdf",
            {
                "issuer_code": "000.00.15.H62",
                "result_code": f"000.00.15.H62-261101-{i:04d}-KQ1",
                "dossier_code": f"000.00.15.H62-261101-{i:04d}",
                "procedure_code": "1.001193",
                "procedure_name": "Thủ tục đăng ký khai sinh",
                "result_type": "Giấy khai sinh",
                "subjects": [{"kind": "citizen", "id": "001203001234", "name": "Trần Văn Đức"}],
                "issued_on": "2026-11-01",
            },
            Access.system(),
        )
    access = Access(
        actor=Actor(agency="000.00.15.H62", key_id="0123456789abcdef"),
        purpose="000.00.15.H62-261123-0001",
    )
    query = LookupQuery(subject_id="001203001234", valid_on=date.today())
    for count in (1, 8):
        latencies: list[float] = []
        lock = threading.Lock()

        def work(
            n: int = total // count,
            latencies: list[float] = latencies,
            lock: threading.Lock = lock,
        ) -> None:
            mine = []
            for _ in range(n):
                started = time.perf_counter()
                services.lookup.lookup(query, access)
                mine.append(time.perf_counter() - started)
            with lock:
                latencies.extend(mine)

        seconds = _threads(count, work)
        latencies.sort()
        print(
            f"lookup, {count} thread(s): {len(latencies) / seconds:7.0f}/s, "
            f"p50 {latencies[len(latencies) // 2] * 1000:.2f} ms, "
            f"p99 {latencies[int(len(latencies) * 0.99)] * 1000:.2f} ms"
        )
    services.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=1600, help="events to append per run")
    parser.add_argument("--lookups", type=int, default=400, help="lookups per run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kho-bench-audit-") as folder:
        bench_appends(Path(folder), args.n)
        bench_lookups(Path(folder), args.lookups)


if __name__ == "__main__":
    main()
