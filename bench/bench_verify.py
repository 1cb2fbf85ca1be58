"""Signature validation throughput and latency.

Signs N one-page results with the test PKI (two agency signers, every fourth with an RFC
3161 timestamp), then validates them all three times: with no path cache (every
signature pays a full certificate path validation), cold (an empty cache: only the first
document of each signer pays) and warm (the cache filled). Prints documents per second
and p50/p99 latency for each pass.

    .venv/bin/python bench/bench_verify.py [-n 200]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

# The test PKI's extras (a plain result PDF) are the tests' (tests/support/pki.py).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from support.pki import TestPKI, sample_result_pdf

from kho.archive.signatures import (
    Indication,
    PathOutcome,
    PathValidationCache,
    TrustConfig,
    install,
    validate_pdf,
)


def _documents(pki: TestPKI, count: int) -> list[bytes]:
    # A handful of distinct results (making a PDF with an embedded font takes a while),
    # each signed many times: every signed document is different.
    unsigned = [
        sample_result_pdf(
            lines=(
                f"Họ, chữ đệm, tên: NGUYỄN VĂN SỐ {index}",
                f"Số định danh cá nhân: {index:012d}",
                "Nơi đăng ký: UBND xã Tân Phong, tỉnh Lai Châu",
            )
        )
        for index in range(min(count, 8))
    ]
    return [
        pki.sign_pdf(
            unsigned[index % len(unsigned)],
            "agency" if index % 2 == 0 else "second",
            timestamp=index % 4 == 0,
        )
        for index in range(count)
    ]


def _run(
    label: str,
    documents: list[bytes],
    trust: TrustConfig,
    cache: PathValidationCache[PathOutcome],
) -> None:
    latencies = []
    misses_before = cache.misses
    started = time.perf_counter()
    for document in documents:
        t0 = time.perf_counter()
        report = validate_pdf(document, trust, cache=cache)
        latencies.append(time.perf_counter() - t0)
        if report.indication is not Indication.TOTAL_PASSED:
            raise SystemExit(f"unexpected verdict {report.summary()}")
    elapsed = time.perf_counter() - started
    p50 = statistics.median(latencies) * 1000
    p99 = statistics.quantiles(latencies, n=100)[98] * 1000
    print(
        f"{label:<9} {len(documents) / elapsed:8.1f} docs/s   p50 {p50:6.2f} ms   "
        f"p99 {p99:6.2f} ms   path validations {cache.misses - misses_before}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--count", type=int, default=200, help="documents (default 200)")
    args = parser.parse_args(argv)
    install()  # the library speed-ups, as build_services installs them for Kho itself
    if args.count < 2:
        parser.error("--count must be at least 2")
    with tempfile.TemporaryDirectory() as folder:
        pki = TestPKI.create(Path(folder) / "pki")
        trust = TrustConfig.from_paths(
            [pki.root_cert_path], pki.intermediate_cert_paths, pki.crl_paths
        )
        t0 = time.perf_counter()
        documents = _documents(pki, args.count)
        print(f"signed {len(documents)} documents in {time.perf_counter() - t0:.1f} s")
        _run("no cache", documents, trust, PathValidationCache(max_entries=0))
        cache: PathValidationCache[PathOutcome] = PathValidationCache()
        _run("cold", documents, trust, cache)
        _run("warm", documents, trust, cache)
    return 0


if __name__ == "__main__":
    sys.exit(main())
