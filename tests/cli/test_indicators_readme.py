"""The README's "Decision 468 indicators" example works as printed, in a fresh folder."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from openpyxl import load_workbook
from test_readme import KHO, sh_blocks


def test_the_indicators_example_runs_as_printed(tmp_path: Path) -> None:
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "kho").symlink_to(KHO)
    script = "set -euo pipefail\n" + "".join(sh_blocks("Decision 468 indicators"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("KHO_")}
    run = subprocess.run(
        ["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr
    answers = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    imported, backlog, report = answers[:2], answers[2], answers[3]
    assert [line["outcome"] for line in imported] == ["created", "created"]
    assert backlog["total"] == 2
    assert "Kỳ báo cáo: Quý 3/2025" in run.stdout
    # 1 June to 30 September: both notices, nothing deposited.
    assert (report["totals"]["settled"], report["totals"]["digitized"]) == (2, 0)
    assert report["totals"]["digitization_rate"] == 0.0
    sheet = load_workbook(tmp_path / "bao-cao-2025-q3.xlsx")["Báo cáo"]
    assert str(sheet["A1"].value).startswith("BÁO CÁO KẾT QUẢ SỐ HÓA")
