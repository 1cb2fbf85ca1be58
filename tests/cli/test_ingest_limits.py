"""`kho ingest` with a META.json nested too deeply: each input's outcome is `invalid` with a
problem, never an internal error (the security review's RecursionError)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

KHO = str(Path(sys.executable).with_name("kho"))


@pytest.mark.parametrize("depth", [50, 100_000])
def test_deeply_nested_metadata_is_an_invalid_outcome(
    tmp_path: Path, signed_pdf: Callable[..., bytes], depth: int
) -> None:
    (tmp_path / "a.pdf").write_bytes(signed_pdf())
    (tmp_path / "b.pdf").write_bytes(signed_pdf())
    nested = "[" * depth + "]" * depth
    (tmp_path / "meta.json").write_text(f'[{{"note": {nested}}}, {{"note": 1}}]')
    env = {k: v for k, v in os.environ.items() if not k.startswith("KHO_")}
    result = subprocess.run(
        [KHO, "ingest", "a.pdf", "b.pdf", "--metadata", "meta.json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["outcome"] for line in lines] == ["invalid", "invalid"]
    assert lines[0]["problem"]["type"] == "/problems/invalid-metadata"
    assert "nested" in lines[0]["problem"]["detail"]
