"""`kho demo` builds a sample archive and `kho serve` serves it, as the README promises."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from support.backends import settings_overrides
from support.server import free_port, wait_healthy

KHO = str(Path(sys.executable).with_name("kho"))


@pytest.mark.slow
def test_demo_then_serve_answers_a_reuse_lookup(stack: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KHO_")}
    env.update({f"KHO_{k.upper()}": str(v) for k, v in settings_overrides(stack, tmp_path).items()})
    demo = subprocess.run(
        [KHO, "demo", "--no-serve"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert demo.returncode == 0, demo.stderr
    token = demo.stdout.strip().splitlines()[-1]
    assert token.startswith("kho_")
    assert "Traceback" not in demo.stderr

    # a second run reuses the archive and the key
    again = subprocess.run(
        [KHO, "demo", "--no-serve"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip().splitlines()[-1] == token

    trust = tmp_path / "kho-data" / "demo" / "pki" / "certs" / "root-ca.pem"
    port = free_port()
    server = subprocess.Popen(
        [KHO, "serve", "--port", str(port)],
        env={**env, "KHO_TRUST_ROOTS": str(trust)},
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, server)
        assert httpx.get(f"{base}/readyz").json()["status"] == "ready"
        home = httpx.get(f"{base}/")  # the web pages need a session: to the sign-in page
        assert home.status_code == 303 and home.headers["location"] == "/login"
        login = httpx.get(f"{base}/login")
        assert login.status_code == 200 and "Kho lưu trữ điện tử" in login.text
        headers = {
            "Authorization": f"Bearer {token}",
            "X-Dossier-Code": "000.00.15.H62-261123-0001",
        }
        found = httpx.get(f"{base}/api/v1/subjects/001203001234/records", headers=headers).json()
        # Only what may be reused: the forged (untrusted) extract and the expired one are out.
        kinds = sorted((i["result_type"], i["signature"]["indication"]) for i in found["items"])
        assert kinds == [
            ("Giấy xác nhận tình trạng hôn nhân", "TOTAL-PASSED"),
            ("Phiếu lý lịch tư pháp", "TOTAL-PASSED"),
        ]
        assert all(i["reusable"] and i["reuse_blockers"] == [] for i in found["items"])
        everything = httpx.get(
            f"{base}/api/v1/subjects/001203001234/records?include_invalid=true", headers=headers
        ).json()
        assert sorted(i["status"] for i in everything["items"]) == [
            "expired",
            "revoked",
            "valid",
            "valid",
            "valid",
        ]
        assert sorted(tuple(i["reuse_blockers"]) for i in everything["items"]) == [
            (),
            (),
            ("expired",),
            ("revoked",),
            ("signature_indeterminate",),
        ]
        company = httpx.get(
            f"{base}/api/v1/subjects/0101234565/records?include_invalid=true", headers=headers
        ).json()
        assert sorted(i["status"] for i in company["items"]) == ["superseded", "valid"]
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    # uvicorn shuts down gracefully, then re-raises the signal it caught
    assert server.returncode in (0, -signal.SIGTERM)
    assert "Traceback" not in (server.stderr.read() if server.stderr else "")
