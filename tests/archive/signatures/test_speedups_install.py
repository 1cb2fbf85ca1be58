"""The speed-ups replace library internals only when asked, once, and only over the code
they were written against: a new pyHanko or asn1crypto fails here before it is used."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest

from kho.archive.signatures import speedups

PYPROJECT = Path(__file__).resolve().parents[3] / "pyproject.toml"
REPLACED = {
    "pyhanko.pdf_utils.generic.read_hex_string_from_stream": speedups._original,
    "asn1crypto.x509.Name.__eq__": speedups._original_name_eq,
}


def test_the_replaced_functions_are_the_code_the_speedups_mirror() -> None:
    assert set(REPLACED) == set(speedups.PATCHED)
    for name, function in REPLACED.items():
        assert speedups.source_sha256(function) == speedups.PATCHED[name], (
            f"{name} changed: check read_hex_string / names_equal against the new code, "
            "then update PATCHED and the pins in pyproject.toml"
        )


@pytest.mark.parametrize("package", ["pyhanko", "pyhanko-certvalidator", "asn1crypto"])
def test_the_patched_libraries_are_pinned_exactly(package: str) -> None:
    dependencies = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["dependencies"]
    pins = [d for d in dependencies if d.split("==")[0].split(">")[0].split("<")[0] == package]
    assert pins == [f"{package}=={version(package)}"]


def _run(code: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


_STATE = """
import json, logging
from asn1crypto import x509
from pyhanko.pdf_utils import generic
from kho.archive.signatures import speedups
def state():
    return {
        "hex": generic.read_hex_string_from_stream is speedups.read_hex_string,
        "names": x509.Name.__eq__ is speedups.names_equal,
        "quiet": logging.getLogger("pyhanko").level == logging.CRITICAL,
    }
"""


def test_nothing_is_patched_at_import_and_install_does_it_once() -> None:
    found = _run(
        _STATE
        + """
import kho.archive.signatures.validate, kho.services, kho.wiring
before = state()
from kho.archive.signatures import install
first, second = install(), install()
print(json.dumps({"before": before, "after": state(), "same": first == second,
                  "installed": sorted(first)}))
"""
    )
    assert found["before"] == {"hex": False, "names": False, "quiet": False}
    assert found["after"] == {"hex": True, "names": True, "quiet": True}
    assert found["same"] is True
    assert found["installed"] == sorted(speedups.PATCHED)


def test_install_leaves_other_library_code_alone() -> None:
    found = _run(
        _STATE
        + """
speedups.PATCHED["asn1crypto.x509.Name.__eq__"] = "0" * 64  # as if asn1crypto had changed
installed = speedups.install()
print(json.dumps({"after": state(), "installed": sorted(installed)}))
"""
    )
    assert found["after"] == {"hex": True, "names": False, "quiet": False}
    assert found["installed"] == ["pyhanko.pdf_utils.generic.read_hex_string_from_stream"]
