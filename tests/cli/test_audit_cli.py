"""`kho audit verify|export|seal` and `kho keys create|list|revoke`, run as the installed
command with KHO_DATA_DIR (and the stack's settings) in the environment."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import rfc8785
from support.backends import settings_overrides

KHO = str(Path(sys.executable).with_name("kho"))
Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def kho(stack: str, tmp_path: Path) -> Run:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KHO_")}
    overrides = settings_overrides(stack, tmp_path)
    _given[(stack, str(tmp_path))] = overrides
    for name, value in overrides.items():
        env[f"KHO_{name.upper()}"] = str(value)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [KHO, *args], env=env, capture_output=True, text=True, timeout=120, check=False
        )

    return run


def create_key(kho: Run, scopes: str = "records:read") -> tuple[str, str]:
    done = kho(
        "keys", "create", "--agency", "000.00.15.H62", "--scopes", scopes, "--label", "Một cửa"
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    return json.loads(lines[0])["key_id"], lines[-1]


def test_keys_create_list_revoke(kho: Run) -> None:
    key_id, token = create_key(kho, "records:read,audit:read")
    assert token.startswith(f"kho_{key_id}_")
    listed = [json.loads(line) for line in kho("keys", "list").stdout.splitlines()]
    mine = next(k for k in listed if k["key_id"] == key_id)
    assert mine["scopes"] == ["audit:read", "records:read"] and mine["label"] == "Một cửa"
    assert "digest" not in mine and token not in json.dumps(listed)
    revoked = kho("keys", "revoke", key_id)
    assert revoked.returncode == 0, revoked.stderr
    assert json.loads(revoked.stdout)["revoked_at"]
    unknown = kho("keys", "revoke", "0123456789abcdef")
    assert unknown.returncode == 1 and "no API key" in unknown.stderr
    bad_scope = kho("keys", "create", "--agency", "000.00.15.H62", "--scopes", "everything")
    assert bad_scope.returncode == 1 and "unknown scopes" in bad_scope.stderr
    assert kho("keys", "create", "--scopes", "records:read").returncode == 64


def test_audit_verify_seal_and_a_tampered_segment(kho: Run, stack: str, tmp_path: Path) -> None:
    for _ in range(3):
        create_key(kho)
    ok = kho("audit", "verify")
    assert ok.returncode == 0, ok.stderr
    report = json.loads(ok.stdout)
    assert report["ok"] is True and report["events"] == 3
    sealed = kho("audit", "seal", "--force")
    assert sealed.returncode == 0, sealed.stderr
    assert json.loads(sealed.stdout.splitlines()[0])["last_seq"] == 3
    create_key(kho)  # a loose batch after the segment
    report = json.loads(kho("audit", "verify").stdout)
    assert report["ok"] is True and report["events"] == 4 and report["segments"] == 1
    if stack != "embedded":
        return  # on MinIO the segment is under object lock: it cannot be edited
    segment = tmp_path / "kho-data" / "store" / "audit" / "segments" / "000000000001.jsonl"
    data = bytearray(segment.read_bytes())
    second_line = data.index(b"\n") + 1
    data[second_line + 40] ^= 0x01  # one byte of event 2
    segment.chmod(0o644)
    segment.write_bytes(bytes(data))
    broken = kho("audit", "verify")
    assert broken.returncode == 1
    report = json.loads(broken.stdout)
    assert report["ok"] is False and report["first_bad_seq"] == 2
    assert report["location"] == "audit/segments/000000000001.jsonl"
    assert "event 2" in broken.stderr


def test_audit_export_with_a_chain_proof_anyone_can_check(kho: Run) -> None:
    for _ in range(4):
        create_key(kho)
    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date().isoformat()
    done = kho("audit", "export", "--from", today, "--to", today)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    *events, last = lines
    proof = last["proof"]
    assert len(events) == proof["count"] == 5
    # The export is itself audited, before the events are read: it is in its own slice.
    assert [e["action"] for e in events] == ["key.create"] * 4 + ["audit.export"]
    # Checked with SHA-256 and RFC 8785 alone, as an outside party would.
    previous = proof["prev_hash"]
    for event in events:
        body = {k: v for k, v in event.items() if k != "hash"}
        assert hashlib.sha256(rfc8785.dumps(body)).hexdigest() == event["hash"]
        assert event["prev_hash"] == previous
        previous = event["hash"]
    assert previous == proof["last_hash"]
    assert proof["first_seq"] == events[0]["seq"] and proof["last_seq"] == events[-1]["seq"]
    # An empty period still has its proof line.
    empty = kho("audit", "export", "--from", "2020-01-01", "--to", "2020-01-31")
    assert empty.returncode == 0
    assert json.loads(empty.stdout.splitlines()[-1])["proof"]["count"] == 0
    assert kho("audit", "export", "--from", "hôm qua", "--to", today).returncode == 64
    assert kho("audit", "export", "--from", today).returncode == 64


def test_openapi_command_matches_the_committed_spec(kho: Run, tmp_path: Path) -> None:
    spec = Path(__file__).resolve().parents[2] / "api" / "openapi.json"
    assert kho("openapi", "--check", "-o", str(spec)).returncode == 0
    stale = tmp_path / "old.json"
    stale.write_text("{}")
    assert kho("openapi", "--check", "-o", str(stale)).returncode == 1


def test_audit_verify_catches_a_tail_removed_with_the_event_index(
    kho: Run, stack: str, tmp_path: Path
) -> None:
    from support.backends import remove_indices
    from support.tamper import remove

    from kho.settings import load_settings
    from kho.wiring import build_store

    for _ in range(4):
        create_key(kho)
    anchored = kho("audit", "checkpoint")
    assert anchored.returncode == 0, anchored.stderr
    assert json.loads(anchored.stdout)["seq"] >= 4
    settings = load_settings(_env_file=None, **settings_overrides_of(stack, tmp_path))
    store = build_store(settings)
    last = sorted(store.list("audit/batches/"))[-1]
    store.close()
    remove(settings, last)
    if stack == "embedded":
        (tmp_path / "kho-data" / "index" / "audit.sqlite3").unlink()
    else:
        remove_indices(settings)
    broken = kho("audit", "verify")
    assert broken.returncode == 1, broken.stdout
    report = json.loads(broken.stdout)
    assert report["ok"] is False and report["checkpoint"]["status"] == "shorter"
    assert "were removed" in broken.stderr and "Traceback" not in broken.stderr


def settings_overrides_of(stack: str, tmp_path: Path) -> dict[str, object]:
    """The settings the `kho` fixture gave the command (same folder, bucket and index)."""
    return _given[(stack, str(tmp_path))]


_given: dict[tuple[str, str], dict[str, object]] = {}
