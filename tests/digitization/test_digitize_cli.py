"""`kho digitize` as a user runs it, on every requested stack: exit 78 without a key,
--propose, a batch CSV, and a batch killed mid-way (SIGKILL) and run again."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support.backends import settings_overrides
from support.scans import BIRTH, BIRTH_META, numbered, scan, tiff
from support.tokens import P12_PASSWORD

from kho.demo.pki import TestPKI
from kho.demo.scans import render_scan

KHO = str(Path(sys.executable).with_name("kho"))
pytestmark = pytest.mark.slow


@pytest.fixture
def env(stack: str, tmp_path: Path, pki: TestPKI, p12: Path) -> dict[str, str]:
    built = {k: v for k, v in os.environ.items() if not k.startswith("KHO_")}
    for name, value in settings_overrides(stack, tmp_path).items():
        built[f"KHO_{name.upper()}"] = str(value)
    built["KHO_TRUST_ROOTS"] = str(pki.root_cert_path)
    built["KHO_TRUST_INTERMEDIATES"] = os.pathsep.join(str(p) for p in pki.intermediate_cert_paths)
    built["KHO_CRLS"] = os.pathsep.join(str(p) for p in pki.crl_paths)
    built["KHO_SIGNING_PKCS12"] = str(p12)
    built["KHO_SIGNING_PKCS12_PASSWORD"] = P12_PASSWORD
    return built


@pytest.fixture
def kho(env: dict[str, str], tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    def run(*args: str, extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        merged = {**env, **(extra or {})}
        merged = {k: v for k, v in merged.items() if v != ""}
        return subprocess.run(
            [KHO, *args], capture_output=True, text=True, env=merged, cwd=tmp_path, timeout=600
        )

    return run


def lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_without_a_signing_key_it_exits_78_naming_the_setting(
    kho: Callable[..., Any], tmp_path: Path
) -> None:
    (tmp_path / "a.png").write_bytes(scan(BIRTH))
    (tmp_path / "meta.json").write_text(json.dumps(BIRTH_META, ensure_ascii=False))
    result = kho(
        "digitize",
        "a.png",
        "--metadata",
        "meta.json",
        extra={"KHO_SIGNING_PKCS12": "", "KHO_SIGNING_PKCS12_PASSWORD": ""},
    )
    assert result.returncode == 78, result.stderr
    assert "KHO_SIGNING_PKCS12" in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_propose_then_confirm_then_deposit(kho: Callable[..., Any], tmp_path: Path) -> None:
    (tmp_path / "p1.png").write_bytes(scan(BIRTH, rotate=-1.0, noise=0.02))
    proposed = kho(
        "digitize",
        "p1.png",
        "--propose",
        extra={"KHO_SIGNING_PKCS12": "", "KHO_SIGNING_PKCS12_PASSWORD": ""},
    )
    assert proposed.returncode == 0, proposed.stderr
    [body] = lines(proposed.stdout)
    assert body["fields"]["subjects"]["value"][0]["id"] == "012318004567"
    assert 0 <= body["fields"]["result_code"]["confidence"] <= 1
    assert {r["field"] for r in body["review"]} >= {"procedure_code", "procedure_name"}
    # the officer completes the proposal and confirms it
    confirmed = {
        **body["metadata"],
        "procedure_code": "1.001193",
        "procedure_name": "Thủ tục đăng ký khai sinh",
    }
    (tmp_path / "meta.json").write_text(json.dumps(confirmed, ensure_ascii=False))
    done = kho("digitize", "p1.png", "--metadata", "meta.json")
    assert done.returncode == 0, done.stderr
    [line] = lines(done.stdout)
    assert line["outcome"] == "created" and line["record_id"]
    assert line["result_code"] == BIRTH_META["result_code"] and line["problem"] is None
    assert isinstance(line["review"], list)


def _batch(tmp_path: Path, count: int) -> Path:
    rows = []
    for seq in range(1, count + 1):
        paper, meta = numbered(BIRTH, 100 + seq)
        if seq == 2:  # a two-page result, as a multi-page TIFF
            first = render_scan(paper, noise=0.02, seed=seq)
            (tmp_path / f"r{seq}.tif").write_bytes(tiff(first, render_scan(BIRTH, seed=99)))
            files = f"r{seq}.tif"
        else:
            (tmp_path / f"r{seq}.png").write_bytes(scan(paper, noise=0.02, seed=seq))
            files = f"r{seq}.png"
        rows.append(
            {
                "file": files,
                **{k: v for k, v in meta.items() if k != "subjects"},
                "subjects": "citizen:012318004567:Nguyễn Thị Hồng Nhung",
            }
        )
    path = tmp_path / "batch.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_a_batch_killed_mid_way_loses_and_duplicates_nothing(
    kho: Callable[..., Any], env: dict[str, str], tmp_path: Path
) -> None:
    batch = _batch(tmp_path, 3)
    process = subprocess.Popen(
        [KHO, "digitize", "--batch", str(batch), "--jobs", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=tmp_path,
        text=True,
    )
    assert process.stdout is not None
    first = json.loads(process.stdout.readline())  # printed once the record is durable
    time.sleep(1.0)  # into the second result's OCR
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert first["outcome"] == "created"

    again = kho("digitize", "--batch", str(batch), "--jobs", "2")
    assert again.returncode == 0, again.stderr
    results = lines(again.stdout)
    assert [r["index"] for r in results] == [0, 1, 2]
    assert results[0]["outcome"] == "existing"
    assert results[0]["record_id"] == first["record_id"]
    assert {r["outcome"] for r in results[1:]} <= {"created", "existing"}
    assert "digitize:" in again.stderr  # the summary
    ids = [r["record_id"] for r in results]
    assert len(set(ids)) == 3
    # nothing twice: once more, all existing and the same records
    third = lines(kho("digitize", "--batch", str(batch)).stdout)
    assert [(r["outcome"], r["record_id"]) for r in third] == [("existing", i) for i in ids]
    fixity = kho("fixity")
    assert fixity.returncode == 0, fixity.stdout + fixity.stderr


def test_bad_inputs_get_a_line_each_and_no_traceback(
    kho: Callable[..., Any], tmp_path: Path
) -> None:
    (tmp_path / "rac.png").write_bytes(b"rubbish")
    path = tmp_path / "b.csv"
    path.write_text(
        "file,issuer_code\nrac.png,000.00.15.H62\nthieu.png,000.00.15.H62\n", encoding="utf-8"
    )
    result = kho("digitize", "--batch", str(path))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    bad, missing = lines(result.stdout)
    assert bad["outcome"] == "invalid" and bad["problem"]["type"] == "/problems/unreadable-scan"
    assert missing["outcome"] == "invalid" and missing["problem"]["status"] == 404
