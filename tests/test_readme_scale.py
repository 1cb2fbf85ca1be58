"""The README's "Running at scale" commands for backups and workers run as printed (only
the port differs), on a `kho demo` archive."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from test_readme import free_port, sh_blocks

KHO = Path(sys.executable).with_name("kho")


def _block(needle: str) -> str:
    found = [b for b in sh_blocks("Running at scale") if needle in b]
    assert len(found) == 1, f"one sh block with {needle!r} in 'Running at scale'"
    return found[0]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KHO_")}
    env["PATH"] = f"{KHO.parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def _wait(base: str, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    pytest.fail("kho serve did not come up")


@pytest.mark.slow
def test_the_backup_commands_work_as_printed_while_the_demo_serves(tmp_path: Path) -> None:
    env = _env()
    demo = subprocess.run(
        ["kho", "demo", "--no-serve"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert demo.returncode == 0, demo.stderr
    port = free_port()
    server = subprocess.Popen(
        ["kho", "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait(f"http://127.0.0.1:{port}", server)
        run = subprocess.run(
            ["bash", "-c", "set -euo pipefail\n" + _block("kho backup")],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    assert run.returncode == 0, run.stdout + run.stderr
    reports = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    backup, restore, fixity, audit = reports
    assert backup["records"] == restore["records"] == 11
    assert fixity["ok"] and fixity["checked"] == 11
    assert audit["ok"]


@pytest.mark.slow
def test_the_workers_command_works_as_printed(tmp_path: Path) -> None:
    command = _block("--workers")
    assert "--port 8000" in command
    port = free_port()
    line = next(c for c in command.splitlines() if "kho serve" in c).split("#")[0]
    server = subprocess.Popen(
        ["bash", "-c", "exec " + re.sub(r"--port 8000", f"--port {port}", line)],
        cwd=tmp_path,
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(base, server)
        for _ in range(10):
            assert httpx.get(f"{base}/healthz").status_code == 200
        metrics = httpx.get(f"{base}/metrics").text
        assert "kho_http_requests_total" in metrics
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    assert server.returncode in (0, -signal.SIGTERM)
    assert "Traceback" not in (server.stderr.read() if server.stderr else "")
