"""`kho demo` without its extra (fpdf2, `kho[demo]`) says what to install, in one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_the_demo_names_its_extra_when_fpdf2_is_missing(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['fpdf'] = None  # as if fpdf2 were not installed\n"
        "from kho.cli import main; main(['demo', '--no-serve'])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={"KHO_DATA_DIR": str(tmp_path / "data"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 69, done.stderr
    assert "pip install 'kho[demo]'" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "data" / "demo").exists()
