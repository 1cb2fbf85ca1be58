"""An upload over the limit is refused before it is all read, by a running `kho serve` over
a real socket: a declared Content-Length over the limit gets its 413 before any of the
body is sent, and a chunked body (no length declared) gets its 413 once the limit is
passed, while the client still had most of its 40 MB to send."""

from __future__ import annotations

import os
import select
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from support.backends import settings_overrides

KHO = str(Path(sys.executable).with_name("kho"))
LIMIT_MB = 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KHO_")}
    overrides = settings_overrides("embedded", tmp_path)
    env.update({f"KHO_{k.upper()}": str(v) for k, v in overrides.items()})
    env["KHO_MAX_UPLOAD_MB"] = str(LIMIT_MB)
    port = _free_port()
    proc = subprocess.Popen(
        [KHO, "serve", "--port", str(port)], env=env, cwd=tmp_path,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(300):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _head(length: str | None) -> bytes:
    lines = [
        "POST /api/v1/records HTTP/1.1",
        "Host: 127.0.0.1",
        "Authorization: Bearer kho_0000000000000000_x",
        "Content-Type: multipart/form-data; boundary=xyz",
        f"Content-Length: {length}" if length else "Transfer-Encoding: chunked",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _answer(sock: socket.socket, timeout: float) -> bytes:
    sock.settimeout(timeout)
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            piece = sock.recv(65536)
            if not piece:
                break
            data += piece
    except (TimeoutError, ConnectionResetError):
        pass
    return data


def test_a_declared_length_over_the_limit_is_refused_before_the_body(server: int) -> None:
    with socket.create_connection(("127.0.0.1", server)) as sock:
        sock.sendall(_head(str(10 * 1024**3)))  # 10 GB declared, not a byte of it sent
        answer = _answer(sock, 10)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"application/problem+json" in answer


def test_a_chunked_body_is_cut_off_soon_after_the_limit(server: int) -> None:
    chunk = b"0" * 65536
    frame = b"%x\r\n" % len(chunk) + chunk + b"\r\n"
    sent = 0
    answer = b""
    with socket.create_connection(("127.0.0.1", server)) as sock:
        sock.sendall(_head(None))
        part = (
            b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
            b"Content-Type: application/pdf\r\n\r\n%PDF-1.7\n"
        )
        sock.sendall(b"%x\r\n" % len(part) + part + b"\r\n")
        deadline = time.monotonic() + 60
        while sent < 40 * 1024**2 and time.monotonic() < deadline:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break
            try:
                sock.sendall(frame)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
        answer = _answer(sock, 10)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    # Refused within a few socket buffers of the limit, not after 40 MB.
    assert sent < (LIMIT_MB + 8) * 1024**2, sent
