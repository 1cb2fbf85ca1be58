"""The README works as written: its settings table names every setting Kho reads, with the
defaults it has, and its curl examples run, exactly as printed, against `kho demo`."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from kho.settings import Settings

README = Path(__file__).resolve().parent.parent / "README.md"
KHO = str(Path(sys.executable).with_name("kho"))


def section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def settings_table() -> dict[str, str]:
    """Each `KHO_…` name in the Configuration table's first column → its default cell."""
    rows: dict[str, str] = {}
    for line in section("Configuration").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[0].startswith("`KHO_"):
            continue
        for name in re.findall(r"`(KHO_[A-Z0-9_]+)`", cells[0]):
            rows[name] = cells[2]
    return rows


def test_the_settings_table_lists_exactly_the_settings_kho_reads() -> None:
    documented = set(settings_table())
    read = {f"KHO_{name.upper()}" for name in Settings.model_fields}
    assert documented - read == set(), "the README lists settings Kho does not read"
    assert read - documented == set(), "settings Kho reads are missing from the README table"


def _same_default(cell: str, default: Any) -> bool:
    literal = cell.strip("`")
    if isinstance(default, bool):
        return literal == str(default).lower()
    if isinstance(default, int | float):
        return float(literal) == float(default)
    if isinstance(default, Path):
        return Path(literal) == default
    return literal == str(default)


def test_the_settings_table_gives_the_real_defaults() -> None:
    table = settings_table()
    checked = 0
    for name, field in Settings.model_fields.items():
        cell = table[f"KHO_{name.upper()}"]
        if not re.fullmatch(r"`[^`]+`", cell):
            continue  # "none", "generated", a description: nothing literal to compare
        assert _same_default(cell, field.default), (name, cell, field.default)
        checked += 1
    assert checked >= 20


def sh_blocks(title: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)```", section(title), flags=re.S)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_the_readme_examples_work_as_printed_against_the_demo(tmp_path: Path) -> None:
    """A newcomer's path: `kho demo` in a fresh folder, then the README's lookup and every
    API example in order, as one shell script. curl is made to fail on any HTTP error, so
    each example must answer 2xx; only the port differs from the README."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KHO_")}
    demo = subprocess.Popen(
        [KHO, "demo", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            assert demo.poll() is None, demo.stderr.read() if demo.stderr else ""
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            pytest.fail("the demo did not come up")

        # The README's commands run from the repository folder, where `.venv/bin/kho` is.
        (tmp_path / ".venv" / "bin").mkdir(parents=True)
        (tmp_path / ".venv" / "bin" / "kho").symlink_to(KHO)
        examples = sh_blocks("The two commands")[1] + "".join(sh_blocks("The API"))
        assert "http://127.0.0.1:8000" in examples
        script = (
            "set -euo pipefail\n"
            'curl() { command curl -sS --fail-with-body "$@"; echo; }\n'
            + examples.replace("http://127.0.0.1:8000", base)
        )
        run = subprocess.run(
            ["bash", "-c", script],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 0, f"{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
        answers = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
        first, cli_lookup, deposit, of_type, in_the_past, found, report, log, revoked = answers
        today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date().isoformat()
        # What the examples promise: the lookup finds results, the deposit is new, the
        # encoded result type selects the current marriage-status certificate and the past
        # day the one that has expired since, the search finds Đức, the report passes.
        assert first["total"] >= 1
        # the CLI lookup with include_invalid also shows the forged result, with its blocker
        forged = [i for i in cli_lookup["items"] if i["signature"]["signer"] == "UBND xã Giả Mạo"]
        assert forged and not forged[0]["reusable"]
        assert "signature_indeterminate" in forged[0]["reuse_blockers"]
        assert all(i["reusable"] for i in first["items"])
        assert (
            deposit["outcome"] == "created" and deposit["signature"]["indication"] == "TOTAL-PASSED"
        )
        assert [i["result_type"] for i in of_type["items"]] == ["Giấy xác nhận tình trạng hôn nhân"]
        assert of_type["items"][0]["valid_until"] >= today
        assert [i["result_type"] for i in in_the_past["items"]] == [
            "Giấy xác nhận tình trạng hôn nhân"
        ]
        assert in_the_past["items"][0]["valid_until"] < today
        assert found["total"] >= 1
        assert report["indication"] == "TOTAL-PASSED"
        assert log["total"] >= 1
        assert revoked["record_id"] == deposit["record_id"] and revoked["status"] == "revoked"
        assert (tmp_path / "ket-qua.pdf").read_bytes() == (
            tmp_path / "kho-data" / "demo" / "example" / "khai-sinh.pdf"
        ).read_bytes()
        assert "<html" in (tmp_path / "verification.html").read_text(encoding="utf-8")
    finally:
        demo.send_signal(signal.SIGTERM)
        demo.wait(timeout=30)
    assert "Traceback" not in (demo.stderr.read() if demo.stderr else "")
