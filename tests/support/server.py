"""A real `kho serve` in a child process, for the tests that kill it, back it up while it
serves or run it with several workers: its environment, start, readiness, deposits."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import httpx

from kho.settings import Settings, load_settings
from support.backends import settings_overrides
from support.pki import TestPKI

KHO = str(Path(sys.executable).with_name("kho"))
PURPOSE = "000.00.15.H62-261123-0001"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(
    base: str, proc: subprocess.Popen[Any] | None = None, *, timeout: float = 120
) -> None:
    """Until `base`/healthz answers 200; AssertionError if `proc` exits first or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"kho serve exited with {proc.returncode}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"kho serve did not answer {base}/healthz in {timeout:.0f} s")


def kho_env(stack: str, tmp_path: Path, pki: TestPKI, **extra: object) -> dict[str, str]:
    """The environment of a whole Kho on `stack` in `tmp_path` (and nothing of the caller's)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KHO_")}
    env.update({f"KHO_{k.upper()}": str(v) for k, v in settings_overrides(stack, tmp_path).items()})
    env["KHO_TRUST_ROOTS"] = str(pki.root_cert_path)
    env["KHO_TRUST_INTERMEDIATES"] = os.pathsep.join(map(str, pki.intermediate_cert_paths))
    env.update({f"KHO_{k.upper()}": str(v) for k, v in extra.items()})
    return env


def kho(env: dict[str, str], *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [KHO, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def create_key(env: dict[str, str], scopes: str = "records:read,records:write,audit:read") -> str:
    made = kho(env, "keys", "create", "--agency", "000.00.15.H62", "--scopes", scopes)
    assert made.returncode == 0, made.stderr
    return made.stdout.strip().splitlines()[-1]


@contextmanager
def serving(env: dict[str, str], *args: str, log: Path | None = None) -> Iterator[Server]:
    server = Server.start(env, *args, log=log)
    try:
        yield server
    finally:
        server.stop()


class Server:
    def __init__(self, proc: subprocess.Popen[bytes], base: str) -> None:
        self.proc = proc
        self.base = base

    @classmethod
    def start(cls, env: dict[str, str], *args: str, log: Path | None = None) -> Server:
        port = free_port()
        out = log.open("ab") if log is not None else subprocess.DEVNULL
        proc = subprocess.Popen(
            [KHO, "serve", "--port", str(port), *args],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=out,
            start_new_session=True,  # a kill reaches its workers too
        )
        server = cls(proc, f"http://127.0.0.1:{port}")
        server.wait_ready()
        return server

    def wait_ready(self, timeout: float = 120) -> None:
        wait_healthy(self.base, self.proc, timeout=timeout)

    def kill(self) -> None:
        """SIGKILL to the server and every worker it started."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        # no worker outlives its server
        with suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)


def deposit(client: httpx.Client, token: str, pdf: bytes, meta: dict[str, Any]) -> httpx.Response:
    return client.post(
        "/api/v1/records",
        headers={"Authorization": f"Bearer {token}"},
        files={"file": ("ket-qua.pdf", pdf, "application/pdf")},
        data={"metadata": json.dumps(meta, ensure_ascii=False)},
    )


def settings_of(env: dict[str, str]) -> Settings:
    """The settings a `kho` run with `env` reads (the same bucket and index, not new ones)."""
    return load_settings(
        _env_file=None, **{k[4:].lower(): v for k, v in env.items() if k.startswith("KHO_")}
    )
