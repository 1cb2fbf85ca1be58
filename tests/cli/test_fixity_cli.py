"""`kho fixity` covers every file of a package and compares it with the hashes the audit
trail recorded: a manifest rewritten in the store (a subject id changed) is caught, on
every stack, naming the record and the file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support.backends import settings_overrides
from support.tamper import overwrite

from kho.demo.pki import TestPKI
from kho.settings import load_settings

KHO = str(Path(sys.executable).with_name("kho"))
Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def overrides(stack: str, tmp_path: Path) -> dict[str, object]:
    return settings_overrides(stack, tmp_path)


@pytest.fixture
def kho(overrides: dict[str, object], tmp_path: Path, pki: TestPKI) -> Run:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KHO_")}
    for name, value in overrides.items():
        env[f"KHO_{name.upper()}"] = str(value)
    env["KHO_TRUST_ROOTS"] = str(pki.root_cert_path)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [KHO, *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300
        )

    return run


def ingest(kho: Run, tmp_path: Path, pdf: bytes, meta: dict[str, Any]) -> str:
    (tmp_path / "a.pdf").write_bytes(pdf)
    (tmp_path / "m.json").write_text(json.dumps(meta), encoding="utf-8")
    done = kho("ingest", "a.pdf", "--metadata", "m.json")
    assert done.returncode == 0, done.stderr
    return str(json.loads(done.stdout.splitlines()[0])["record_id"])


def test_a_rewritten_manifest_fails_fixity_naming_record_and_file(
    kho: Run,
    tmp_path: Path,
    signed_pdf: Callable[..., bytes],
    metadata: Callable[..., dict[str, Any]],
    overrides: dict[str, object],
) -> None:
    record_id = ingest(kho, tmp_path, signed_pdf("GIẤY KHAI SINH"), metadata())
    clean = kho("fixity")
    assert clean.returncode == 0, clean.stderr
    report = json.loads(clean.stdout)
    # original, manifest, text, validation report, claim
    assert report["checked"] == 1 and report["files"] == 5 and report["unaudited"] == 0

    key = f"records/{record_id}/manifest/v000001.json"
    settings = load_settings(_env_file=None, **overrides)
    from kho.wiring import build_store

    store = build_store(settings)
    manifest = json.loads(store.get(key))
    store.close()
    manifest["subjects"][0]["id"] = "079199000001"  # someone else's personal ID number
    overwrite(settings, key, json.dumps(manifest, ensure_ascii=False, sort_keys=True).encode())

    broken = kho("fixity")
    assert broken.returncode == 1, broken.stdout
    assert "Traceback" not in broken.stderr
    report = json.loads(broken.stdout)
    assert report["ok"] is False
    assert report["mismatches"] == [
        {
            "record_id": record_id,
            "file": key,
            "problem": "changed since it was audited (its SHA-256 differs)",
        }
    ]
    assert f"record {record_id}: {key}" in broken.stderr


def test_fixity_progress_and_total_agree(
    kho: Run,
    tmp_path: Path,
    signed_pdf: Callable[..., bytes],
    metadata: Callable[..., dict[str, Any]],
) -> None:
    pdfs = [signed_pdf("GIẤY KHAI SINH"), signed_pdf("GIẤY CHỨNG NHẬN KẾT HÔN")]
    for pdf in pdfs:
        ingest(kho, tmp_path, pdf, metadata())
    done = kho("fixity")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["checked"] == 2
    assert done.stderr.strip().splitlines()[-1].startswith("fixity: 2/2 (100%")
