"""`kho ingest --jobs N` keeps N deposits under way at once and still prints in input
order (cli/ingest.py, `_run_parallel`). A fake deposit service stands in for the archive
(the real one is in tests/cli/test_cli.py): it holds each deposit until as many as were
asked for are under way together, so a run that deposits one at a time cannot pass."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import click
import pytest

from kho.cli.ingest import _run_parallel
from kho.cli.progress import Progress
from kho.services import Access
from kho.services.deposit import DepositOutcome


class _Together:
    """Deposits that wait (up to a timeout) until `expected` are under way at once."""

    def __init__(self, expected: int) -> None:
        self.barrier = threading.Barrier(expected, timeout=10)
        self.lock = threading.Lock()
        self.under_way = 0
        self.most = 0

    def check_metadata(self, meta: Any) -> Any:
        return meta

    def deposit(self, data: bytes, filename: str, meta: Any, access: Access) -> DepositOutcome:
        with self.lock:
            self.under_way += 1
            self.most = max(self.most, self.under_way)
        try:
            self.barrier.wait()  # BrokenBarrierError if fewer are ever under way together
            # Later inputs finish first: the lines must still come in input order.
            time.sleep(0.05 * (3 - int(meta["n"]) % 4))
        finally:
            with self.lock:
                self.under_way -= 1
        record = {"record_id": f"R{meta['n']}", "reusable": True, "reuse_blockers": []}
        return DepositOutcome("created", record, True)


@pytest.mark.parametrize("jobs", [2, 4])
def test_jobs_deposits_run_at_once_and_lines_keep_input_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], jobs: int
) -> None:
    inputs: list[tuple[Path, object]] = []
    for n in range(8):
        path = tmp_path / f"kq-{n}.pdf"
        path.write_bytes(b"%PDF-1.7 " + bytes([n]))
        inputs.append((path, {"n": n, "result_code": f"KQ-{n}"}))
    fake = _Together(jobs)
    services: Any = SimpleNamespace(
        deposit=fake, settings=SimpleNamespace(max_upload_bytes=1 << 20, max_upload_mb=1)
    )
    with click.Context(click.Command("ingest")):
        ok = _run_parallel(services, inputs, jobs, Access.system(), Progress("t", 8, quiet=True))
    assert ok
    assert fake.most == jobs
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["index"] for line in lines] == list(range(8))
    assert [line["record_id"] for line in lines] == [f"R{n}" for n in range(8)]
    assert {line["outcome"] for line in lines} == {"created"}
