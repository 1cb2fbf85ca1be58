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


@pytest.mark.slow
@pytest.mark.parametrize("kill_after", [0, 3, 9])
def test_kill_9_during_ingest_loses_nothing_acknowledged(
    stack: str, tmp_path: Path, pki: TestPKI, corpus: list[str], kill_after: int
) -> None:
    overrides = settings_overrides(stack, tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KHO_")}
    env.update({f"KHO_{k.upper()}": str(v) for k, v in overrides.items()})
    env["KHO_TRUST_ROOTS"] = str(pki.root_cert_path)
    env["KHO_TRUST_INTERMEDIATES"] = os.pathsep.join(map(str, pki.intermediate_cert_paths))

    proc = subprocess.Popen(
        [KHO, "ingest", *corpus, "--metadata", "meta.json", "--quiet"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    acknowledged: list[dict[str, Any]] = []
    if kill_after == 0:
        # somewhere in the first deposit, before any line
        proc.send_signal(signal.SIGKILL)
    else:
        for line in proc.stdout:
            acknowledged.append(json.loads(line))
            if len(acknowledged) >= kill_after:
                proc.send_signal(signal.SIGKILL)
                break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL

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
        [KHO, "ingest", *corpus, "--metadata", "meta.json", "--quiet"],
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
