"""Digitization throughput: scanned pages per minute, OCR included.

Makes N one-page scans of Vietnamese results at 200 dpi (turned, blurred, speckled: what a
scanner gives), then times (1) OCR alone (OCRmyPDF + Tesseract `vie` into PDF/A-2b) and
(2) the whole pipeline per result: read, OCR, proposals, QR, both PDF/A checks (veraPDF
when installed), the agency's signature (PKCS#12, PAdES B-B) and the deposit, with
`--jobs` results at a time (default: every core).

    .venv/bin/python bench/bench_digitize.py [-n 8] [--jobs 2] [--stack embedded] [--write]
    .venv/bin/python bench/run.py --digitize 8 ...    # the same, after the other figures
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from support.scans import BIRTH, BIRTH_META, encode  # noqa: E402
from support.tokens import P12_PASSWORD, make_pkcs12  # noqa: E402

from kho.demo.pki import TestPKI  # noqa: E402
from kho.demo.scans import render_scan  # noqa: E402
from kho.digitization.ocr import OcrOptions, run_ocr  # noqa: E402
from kho.services import Access  # noqa: E402
from kho.settings import load_settings  # noqa: E402
from kho.wiring import build_services  # noqa: E402


def _scans(count: int) -> list[tuple[bytes, dict[str, Any]]]:
    made = []
    for seq in range(count):
        dossier = f"000.00.15.H62-190315-{5000 + seq:04d}"
        paper = replace(
            BIRTH,
            notation=f"Số: {dossier}-KQ1",
            facts=[*BIRTH.facts[:3], ("Mã hồ sơ", dossier)],
        )
        image = render_scan(paper, rotate=(seq % 5 - 2) * 0.6, blur=0.6, noise=0.02, seed=seq)
        meta = {**BIRTH_META, "result_code": f"{dossier}-KQ1", "dossier_code": dossier}
        made.append((encode(image), meta))
    return made


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def run(count: int, jobs: int, stack: str, write: bool) -> str:
    work = Path(tempfile.mkdtemp(prefix="kho-bench-digitize-"))
    overrides: dict[str, Any] = {"data_dir": work / "data"}
    if stack == "distributed":
        from support.backends import settings_overrides

        overrides = settings_overrides("distributed", work)
    pki = TestPKI.create(work / "pki")
    overrides.update(
        trust_roots=[pki.root_cert_path],
        trust_intermediates=list(pki.intermediate_cert_paths),
        signing_pkcs12=make_pkcs12(pki, work),
        signing_pkcs12_password=SecretStr(P12_PASSWORD),
    )
    settings = load_settings(_env_file=None, **overrides)
    services = build_services(settings)
    scans = _scans(count)
    print(f"OCR alone, {count} pages, {jobs} at a time …", file=sys.stderr)
    images = [services.digitize.read([("p.png", data)]).image_pdf() for data, _ in scans]
    start = time.perf_counter()
    with ThreadPoolExecutor(jobs) as pool:
        list(pool.map(lambda pdf: run_ocr(pdf, 1, OcrOptions(jobs=1)), images))
    ocr_s = time.perf_counter() - start

    print(f"the whole pipeline, {count} results, {jobs} at a time …", file=sys.stderr)
    per_result: list[float] = []

    def one(item: tuple[bytes, dict[str, Any]]) -> None:
        t0 = time.perf_counter()
        done = services.digitize.digitize([("scan.png", item[0])], item[1], Access.system())
        assert done.outcome == "created", done
        per_result.append(time.perf_counter() - t0)

    start = time.perf_counter()
    with ThreadPoolExecutor(jobs) as pool:
        list(pool.map(one, scans))
    whole_s = time.perf_counter() - start
    validator = services.digitize.pdfa.validator
    services.close()

    rows = [
        (
            "OCR alone (OCRmyPDF, Tesseract vie, PDF/A-2b)",
            f"{60 * count / ocr_s:.1f} pages/min",
            "",
        ),
        (
            "digitize: OCR + proposals + QR + PDF/A checks + signing + deposit",
            f"{60 * count / whole_s:.1f} pages/min",
            f"per result p50 {statistics.median(per_result):.1f} s, "
            f"p99 {_pct(per_result, 99):.1f} s",
        ),
        ("PDF/A validator", validator, "before and after signing"),
    ]
    machine = (
        f"{platform.node()} · {platform.machine()} · {os.cpu_count()} cores · "
        f"Python {platform.python_version()}"
    )
    table = (
        f"### {datetime.now(UTC):%Y-%m-%d %H:%M} UTC · digitize · {stack} · "
        f"{count} pages at 200 dpi · jobs={jobs}\n\nMachine: {machine}\n\n"
        "| measure | rate | notes |\n|---|---|---|\n"
        + "".join(f"| {a} | {b} | {c} |\n" for a, b, c in rows)
    )
    print(table)
    if write:
        with (ROOT / "BENCHMARKS.md").open("a", encoding="utf-8") as out:
            out.write("\n" + table)
    return table


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=8, help="scanned pages (one per result)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--stack", choices=["embedded", "distributed"], default="embedded")
    parser.add_argument("--write", action="store_true", help="append the figures to BENCHMARKS.md")
    args = parser.parse_args()
    run(args.n, args.jobs, args.stack, args.write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
