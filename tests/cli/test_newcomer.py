"""What a newcomer and an operator meet first: `kho demo` and `kho serve` on a busy port or
without the font, the demo's example deposit and its "serve it again" command, and what
`kho retention run` and `kho fixity` say."""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
from support.server import free_port, wait_healthy

from kho.cli import main
from kho.demo import documents

KHO = str(Path(sys.executable).with_name("kho"))
Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("KHO_")}


@pytest.fixture
def kho(env: dict[str, str], tmp_path: Path) -> Run:
    def run(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [KHO, *args],
            cwd=tmp_path,
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=300,
        )

    return run


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


@pytest.mark.parametrize("command", ["serve", "demo"])
def test_a_busy_port_is_one_line_and_exit_69(
    kho: Run, busy_port: int, tmp_path: Path, command: str
) -> None:
    result = kho(command, "--port", str(busy_port))
    assert result.returncode == 69, result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert f"port {busy_port} on 127.0.0.1 is already in use" in result.stderr
    assert "--port" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "kho-data" / "demo").exists()  # refused before building anything


def test_the_demo_without_its_font_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(documents, "_FONT_CANDIDATES", (str(tmp_path / "none.ttf"),))
    with pytest.raises(SystemExit) as exit_:
        main(["demo", "--no-serve"])
    assert exit_.value.code == 69
    err = capsys.readouterr().err
    assert "apt-get install fonts-dejavu-core" in err and "Traceback" not in err


def _serve_again(stderr: str) -> list[str]:
    lines = stderr.split("Serve it again later with:", 1)[1].split("API key", 1)[0]
    return shlex.split(lines.replace("\\\n", " "))


@pytest.mark.slow
def test_the_demo_leaves_an_example_deposit_and_a_serve_command_with_its_trust_set(
    kho: Run, env: dict[str, str], tmp_path: Path
) -> None:
    demo = kho("demo", "--no-serve")
    assert demo.returncode == 0, demo.stderr
    token = demo.stdout.strip().splitlines()[-1]
    example = tmp_path / "kho-data" / "demo" / "example"
    assert f"{example.relative_to(tmp_path)}/" in demo.stderr
    meta = json.loads((example / "meta.json").read_text(encoding="utf-8"))
    assert meta["subjects"][0]["id"] == "012226005678"
    for account in ("canbo / canbo-demo", "kiemtra / kiemtra-demo", "quantri / quantri-demo"):
        assert account in demo.stderr  # the web UI's demo accounts

    words = _serve_again(demo.stderr)
    settings = dict(w.split("=", 1) for w in words if "=" in w and w.startswith("KHO_"))
    command = [w for w in words if not w.startswith("KHO_")]
    pki = tmp_path / "kho-data" / "demo" / "pki"
    assert {Path(p).name for p in settings["KHO_CRLS"].split(os.pathsep)} == {
        "root-ca.crl",
        "intermediate-ca.crl",
    }
    assert Path(settings["KHO_TRUST_INTERMEDIATES"]).name == "intermediate-ca.pem"
    assert (tmp_path / settings["KHO_TRUST_ROOTS"]).resolve() == (
        pki / "certs" / "root-ca.pem"
    ).resolve()
    assert command[-1] == "serve" and Path(tmp_path, command[0]).resolve() == Path(KHO).resolve()

    port = free_port()
    server = subprocess.Popen(
        [KHO, "serve", "--port", str(port)],
        cwd=tmp_path,
        env={**env, **settings},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, server)
        with (
            (example / "khai-sinh.pdf").open("rb") as pdf,
            (example / "meta.json").open("rb") as meta_file,
        ):
            made = httpx.post(
                f"{base}/api/v1/records",
                headers={"Authorization": f"Bearer {token}"},
                files={"file": ("khai-sinh.pdf", pdf), "metadata": ("meta.json", meta_file)},
                timeout=60,
            )
        assert made.status_code == 201, made.text
        # Served again with the printed settings, the example is trusted as the demo trusts it.
        assert made.json()["signature"]["indication"] == "TOTAL-PASSED"
        # The printed officer account signs in to the web UI.
        with httpx.Client(base_url=base, timeout=30) as browser:
            form = browser.get("/login").text
            csrf = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            signed_in = browser.post(
                "/login",
                data={"username": "canbo", "password": "canbo-demo", "csrf_token": csrf},
            )
            assert signed_in.status_code == 303, signed_in.text
            assert 'data-username="canbo"' in browser.get("/").text
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def test_retention_run_says_what_it_found(kho: Run, tmp_path: Path) -> None:
    nothing = kho("retention", "run")
    assert nothing.returncode == 0, nothing.stderr
    assert nothing.stdout == ""
    assert "không có kết quả nào hết thời hạn bảo quản" in nothing.stderr
    assert "nothing due" in nothing.stderr


def test_retention_run_lists_the_due_records_held_or_not(
    kho: Run, tmp_path: Path, pki: object, signed_pdf: Callable[..., bytes]
) -> None:
    schedule = tmp_path / "schedule.json"
    schedule.write_text(json.dumps({"Giấy khai sinh": 1}, ensure_ascii=False), encoding="utf-8")
    settings = {"KHO_RETENTION_SCHEDULE": str(schedule)}
    (tmp_path / "a.pdf").write_bytes(signed_pdf())
    issued = date(date.today().year - 3, 3, 1)
    meta = {
        "issuer_code": "000.00.15.H62",
        "result_code": f"000.00.15.H62-{issued:%y%m%d}-0001-KQ1",
        "dossier_code": f"000.00.15.H62-{issued:%y%m%d}-0001",
        "procedure_code": "1.001193",
        "procedure_name": "Thủ tục đăng ký khai sinh",
        "result_type": "Giấy khai sinh",
        "subjects": [{"kind": "citizen", "id": "001203001234", "name": "Trần Văn Đức"}],
        "issued_on": issued.isoformat(),
    }
    (tmp_path / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    ingested = kho("ingest", "a.pdf", "--metadata", "meta.json", **settings)
    assert ingested.returncode == 0, ingested.stdout + ingested.stderr
    due = kho("retention", "run", **settings)
    assert due.returncode == 0, due.stderr
    [item] = [json.loads(line) for line in due.stdout.splitlines()]
    assert item["retain_until"] == f"{issued.year + 1}-12-31" and item["held"] is False
    assert "1/1 kết quả đã hết thời hạn bảo quản" in due.stderr
    assert "nothing was deleted" in due.stderr


def test_fixity_progress_counts_what_the_report_counts(
    kho: Run, tmp_path: Path, signed_pdf: Callable[..., bytes]
) -> None:
    files, metas = [], []
    for n in range(3):
        (tmp_path / f"{n}.pdf").write_bytes(signed_pdf("GIẤY KHAI SINH", ("Số", str(n))))
        files.append(f"{n}.pdf")
        metas.append(
            {
                "issuer_code": "000.00.15.H62",
                "result_code": f"000.00.15.H62-261101-{n:04d}-KQ1",
                "dossier_code": f"000.00.15.H62-261101-{n:04d}",
                "procedure_code": "1.001193",
                "procedure_name": "Thủ tục đăng ký khai sinh",
                "result_type": "Giấy khai sinh",
                "subjects": [{"kind": "citizen", "id": "001203001234", "name": "Trần Văn Đức"}],
                "issued_on": "2026-11-01",
            }
        )
    (tmp_path / "meta.json").write_text(json.dumps(metas), encoding="utf-8")
    assert kho("ingest", *files, "--metadata", "meta.json").returncode == 0
    result = kho("fixity")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    last = [line for line in result.stderr.splitlines() if line.startswith("fixity:")][-1]
    assert last.startswith(f"fixity: {report['checked']}/{report['checked']} ")
