"""The README's "Retention" example works as printed, in a fresh folder."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from test_readme import KHO, sh_blocks


def test_the_retention_example_runs_as_printed(tmp_path: Path) -> None:
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "kho").symlink_to(KHO)
    script = "set -euo pipefail\n" + "".join(sh_blocks("Retention"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("KHO_")}
    run = subprocess.run(
        ["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr
    schedule = json.loads(run.stdout.splitlines()[0])
    assert schedule["version"] == "vi-demo-2026.1"
    assert {r["id"] for r in schedule["rules"]} >= {"khai-sinh-vinh-vien", "xac-nhan-hon-nhan"}
    assert "nothing due among 0 record(s)" in run.stderr
