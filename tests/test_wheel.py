"""The wheel: real files for every room of the tree (not the kho/ symlinks), the data files
the code reads, nothing of the tests; and `kho demo` works from it alone."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ROOMS = ("archive", "indexer", "api", "web", "retention", "services", "cli", "digitization")
DATA = (
    "kho/demo/samples.json",
    "kho/archive/signatures/policy.json",
    "kho/api/openapi.json",
    "kho/web/templates/layout.html",
    "kho/web/locale/en/LC_MESSAGES/kho.po",
    "kho/api/static/swagger-ui/swagger-ui-bundle.js",
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A wheel built offline from a copy of the working tree (its symlinks kept)."""
    source = tmp_path_factory.mktemp("source")
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    for name in listed:
        origin, copy = ROOT / name, source / name
        if not origin.exists() and not origin.is_symlink():
            continue
        copy.parent.mkdir(parents=True, exist_ok=True)
        if origin.is_symlink():
            copy.symlink_to(os.readlink(origin))
        else:
            shutil.copy2(origin, copy)
    out = tmp_path_factory.mktemp("wheel")
    build = ["wheel", "-q", "--no-deps", "--no-build-isolation", str(source), "-w", str(out)]
    subprocess.run(
        [sys.executable, "-m", "pip", *build],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = out.glob("kho-*.whl")
    yield built


def test_the_wheel_holds_real_files_for_every_room(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        entries = archive.infolist()
    names = {e.filename for e in entries}
    links = [e.filename for e in entries if (e.external_attr >> 16) & 0o170000 == 0o120000]
    assert not links
    for room in ROOMS:
        modules = {
            f"kho/{p.relative_to(ROOT).as_posix()}"
            for p in (ROOT / room).rglob("*.py")
            if "__pycache__" not in p.parts
        }
        assert modules and modules <= names, (room, sorted(modules - names)[:5])
    assert set(DATA) <= names
    assert not [n for n in names if n.startswith(("tests/", "support/", "kho/tests"))]
    assert not [n for n in names if n.split("/")[0] in ROOMS]  # only `kho` at the top


@pytest.mark.slow
def test_the_demo_runs_from_the_wheel(wheel: Path, tmp_path: Path) -> None:
    unpacked = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(unpacked)
    env = {
        **os.environ,
        "PYTHONPATH": str(unpacked),
        "KHO_DATA_DIR": str(tmp_path / "data"),
        "KHO_SECRETS_DIR": str(tmp_path / "secrets"),
    }
    code = (
        "import kho, sys; assert kho.__file__.startswith(sys.argv[1]), kho.__file__; "
        "from kho.cli import main; main(['demo', '--no-serve'])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(unpacked)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1].startswith("kho_")
    assert "11 kết quả mẫu" in done.stderr
