"""`kho backup` while a server deposits, `kho restore` into an empty folder: the same answers,
and `kho fixity` and `kho audit verify` pass on the copy (services/backup.py)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.server import PURPOSE, create_key, deposit, kho, kho_env, serving

from kho.demo.pki import TestPKI
from kho.services import Access
from kho.settings import load_settings
from kho.wiring import build_services


def _answers(data_dir: Path, pki: TestPKI, record_ids: list[str]) -> dict[str, Any]:
    """What the archive in `data_dir` says of these records and of the subject."""
    settings = load_settings(
        _env_file=None,
        data_dir=data_dir,
        trust_roots=[pki.root_cert_path],
        trust_intermediates=list(pki.intermediate_cert_paths),
    )
    services = build_services(settings)
    access = Access.system(purpose=PURPOSE)
    try:
        services.indexing.drain_outbox()
        views = {r: services.records.get(r, access) for r in record_ids}
        contents = {r: b"".join(services.records.content(r, access).chunks) for r in record_ids}
        claimed = sorted(c.record_id for c in services.backends.packages.claims())
        return {
            "views": views,
            "contents": contents,
            "claimed": claimed,
            "indexed": services.backends.index.count(),
        }
    finally:
        services.close()


@pytest.mark.slow
def test_a_backup_taken_while_depositing_restores_the_same_answers(
    tmp_path: Path,
    pki: TestPKI,
    signed_pdf: Callable[..., bytes],
    metadata: Callable[..., dict[str, Any]],
) -> None:
    env = kho_env("embedded", tmp_path / "live", pki)
    token = create_key(env)
    pdfs = [signed_pdf("GIẤY KHAI SINH", ("Số thứ tự", f"sao-luu-{n}")) for n in range(30)]
    acknowledged: list[tuple[float, str]] = []  # (when the 201 came, record_id)
    failures: list[str] = []
    stop = threading.Event()

    with serving(env) as server:

        def depositor() -> None:
            with httpx.Client(base_url=server.base, timeout=60) as client:
                for pdf in pdfs:
                    if stop.is_set():
                        return
                    response = deposit(client, token, pdf, metadata())
                    if response.status_code != 201:
                        failures.append(response.text)
                        return
                    acknowledged.append((time.monotonic(), response.json()["record_id"]))

        thread = threading.Thread(target=depositor)
        thread.start()
        while len(acknowledged) < 5 and thread.is_alive():
            time.sleep(0.05)
        started = time.monotonic()
        backup = kho(env, "backup", str(tmp_path / "backup"))
        ended = time.monotonic()
        stop.set()
        thread.join(timeout=300)
        assert not failures, failures
    assert backup.returncode == 0, backup.stderr
    report = json.loads(backup.stdout)
    assert "backup:" in backup.stderr  # progress
    before = [r for at, r in acknowledged if at < started]
    after = [r for at, r in acknowledged if at > ended]
    assert len(before) >= 5

    # Restoring needs an empty folder; the copy then answers as the archive did.
    occupied = tmp_path / "occupied"
    (occupied / "kho-data").mkdir(parents=True)
    (occupied / "kho-data" / "x").write_text("x")
    refused = kho(kho_env("embedded", occupied, pki), "restore", str(tmp_path / "backup"))
    assert refused.returncode == 1 and "not empty" in refused.stderr
    assert (occupied / "kho-data" / "x").read_text() == "x"

    restored_env = kho_env("embedded", tmp_path / "restored", pki)
    restore = kho(restored_env, "restore", str(tmp_path / "backup"))
    assert restore.returncode == 0, restore.stderr
    assert json.loads(restore.stdout)["records"] == report["records"]
    for command in (("fixity",), ("audit", "verify")):
        checked = kho(restored_env, *command)
        assert checked.returncode == 0, (command, checked.stdout, checked.stderr)
    audit = json.loads(kho(restored_env, "audit", "verify").stdout)
    assert audit["checkpoint"]["status"] in ("matches", "none")

    copy = _answers(tmp_path / "restored" / "kho-data", pki, [])
    # A point in time: every record acknowledged before the backup, none after it.
    assert set(before) <= set(copy["claimed"])
    assert not set(after) & set(copy["claimed"])
    assert len(copy["claimed"]) == report["records"]
    assert copy["indexed"] == len(copy["claimed"])
    live = _answers(tmp_path / "live" / "kho-data", pki, copy["claimed"])
    again = _answers(tmp_path / "restored" / "kho-data", pki, copy["claimed"])
    assert again["contents"] == live["contents"]
    for record_id in copy["claimed"]:
        assert again["views"][record_id] == live["views"][record_id]

    # The API key made before the backup works on the restored archive (its secret came too).
    with serving(restored_env) as server:
        found = httpx.get(
            f"{server.base}/api/v1/records/{before[0]}",
            headers={"Authorization": f"Bearer {token}", "X-Dossier-Code": PURPOSE},
        )
        assert found.status_code == 200, found.text
        assert found.json()["record_id"] == before[0]


def test_backup_refuses_a_folder_that_is_not_empty_and_restore_an_incomplete_backup(
    tmp_path: Path, pki: TestPKI
) -> None:
    env = kho_env("embedded", tmp_path, pki)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep").write_text("keep")
    refused = kho(env, "backup", str(tmp_path / "full"))
    assert refused.returncode == 1 and "not empty" in refused.stderr
    assert (tmp_path / "full" / "keep").read_text() == "keep"
    (tmp_path / "half" / "store").mkdir(parents=True)  # no backup.json: interrupted
    other = kho_env("embedded", tmp_path / "other", pki)
    incomplete = kho(other, "restore", str(tmp_path / "half"))
    assert incomplete.returncode == 1 and "not a complete Kho backup" in incomplete.stderr
    assert "Traceback" not in incomplete.stderr
    assert not (tmp_path / "other" / "kho-data" / "store").exists()


def test_backup_on_the_distributed_stack_points_at_the_mirror(tmp_path: Path, pki: TestPKI) -> None:
    env = kho_env("embedded", tmp_path, pki, storage="minio", minio_endpoint="127.0.0.1:9")
    refused = kho(env, "backup", str(tmp_path / "b"))
    assert refused.returncode == 78
    assert "mc mirror" in refused.stderr and "Traceback" not in refused.stderr
