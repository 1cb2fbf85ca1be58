"""An acknowledged deposit survives kill -9, and no partial record is ever visible.

`kho ingest` is killed with SIGKILL at several points while it deposits; every record whose
line it printed must then be intact and readable, every visible record complete, fixity
clean, and a re-run of the same ingest must finish without duplicates.
"""

from __future__ import annotations

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

from kho.demo.pki import TestPKI
from kho.services import Access
from kho.settings import load_settings
from kho.wiring import build_services

KHO = str(Path(sys.executable).with_name("kho"))
INPUTS = 24


@pytest.fixture
def corpus(
    tmp_path: Path, signed_pdf: Callable[..., bytes], metadata: Callable[..., dict[str, Any]]
) -> list[str]:
    names = []
    metas = []
    for n in range(INPUTS):
        name = f"kq-{n:02d}.pdf"
        (tmp_path / name).write_bytes(signed_pdf("GIẤY KHAI SINH", ("Số thứ tự", str(n))))
        names.append(name)
        metas.append(metadata())
    (tmp_path / "meta.json").write_text(json.dumps(metas, ensure_ascii=False), encoding="utf-8")
    return names


def _alive_in_group(group: int) -> list[int]:
    """The processes of a process group still running (zombies, awaiting their reaper,
    no longer write)."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == group and fields[0] not in ("Z", "X"):
            alive.append(int(stat.parent.name))
    return alive


def _wait_for_group_gone(group: int) -> None:
    """Every process of the killed group has ended (none still writes)."""
    deadline = time.monotonic() + 30
    while _alive_in_group(group):
        if time.monotonic() > deadline:
            raise AssertionError(f"processes {_alive_in_group(group)} alive after SIGKILL")
        time.sleep(0.05)


@pytest.mark.slow
@pytest.mark.parametrize(("kill_after", "jobs"), [(0, 1), (3, 1), (9, 1), (0, 2), (9, 2)])
def test_kill_9_during_ingest_loses_nothing_acknowledged(
    stack: str, tmp_path: Path, pki: TestPKI, corpus: list[str], kill_after: int, jobs: int
) -> None:
    """With --jobs 2 (two deposits under way at once) the whole process group is killed
    (the command and its validation and extraction workers), as kill -9 of a terminal's
    job does."""
    overrides = settings_overrides(stack, tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KHO_")}
    env.update({f"KHO_{k.upper()}": str(v) for k, v in overrides.items()})
    env["KHO_TRUST_ROOTS"] = str(pki.root_cert_path)
    env["KHO_TRUST_INTERMEDIATES"] = os.pathsep.join(map(str, pki.intermediate_cert_paths))

    command = [KHO, "ingest", *corpus, "--metadata", "meta.json", "--quiet", "--jobs", str(jobs)]
    proc = subprocess.Popen(
        command,
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    assert proc.stdout is not None

    def kill() -> None:
        os.killpg(proc.pid, signal.SIGKILL)

    acknowledged: list[dict[str, Any]] = []
    if kill_after == 0:
        if jobs > 1:
            # the first deposits under way: validation's worker processes have started
            deadline = time.monotonic() + 60
            while len(_alive_in_group(proc.pid)) < 2 and time.monotonic() < deadline:
                time.sleep(0.01)
        # somewhere in the first deposits, before any line
        kill()
    else:
        for line in proc.stdout:
            acknowledged.append(json.loads(line))
            if len(acknowledged) >= kill_after:
                kill()
                break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    _wait_for_group_gone(proc.pid)

    settings = load_settings(
        _env_file=None,
        trust_roots=[pki.root_cert_path],
        trust_intermediates=list(pki.intermediate_cert_paths),
        **overrides,
    )
    services = build_services(settings)
    access = Access.system(purpose="000.00.15.H62-261123-0001")
    try:
        for line in acknowledged:
            assert line["outcome"] == "created"
            view = services.records.get(line["record_id"], access)
            content = services.records.content(line["record_id"], access)
            assert len(b"".join(content.chunks)) == view["size"]
        # every visible record is whole: manifest, original, text
        for claim in services.backends.packages.claims():
            manifest = services.backends.packages.latest_manifest(claim.record_id)
            assert manifest.file.sha256 == claim.sha256
            assert services.backends.packages.get_text(claim.record_id)
        assert services.fixity.run(access).ok
        assert services.audit.verify().ok
    finally:
        services.close()

    rerun = subprocess.run(
        command,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert rerun.returncode == 0, rerun.stderr
    outcomes = [json.loads(line) for line in rerun.stdout.splitlines()]
    assert len(outcomes) == INPUTS
    by_file = {o["file"]: o for o in outcomes}
    for line in acknowledged:
        assert by_file[line["file"]] == {
            **by_file[line["file"]],
            "outcome": "existing",
            "record_id": line["record_id"],
        }
    services = build_services(settings)
    try:
        record_ids = list(services.backends.packages.record_ids())
        assert len(record_ids) == len(set(record_ids)) == INPUTS
        services.indexing.drain_outbox()
        assert services.backends.index.count() == INPUTS
    finally:
        services.close()
