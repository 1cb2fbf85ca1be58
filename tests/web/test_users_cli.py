"""`kho users create|list|disable|reset-password`, run as the installed command: the password
from stdin (one line), exit 64 on a usage error, accounts that sign in."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from support.backends import clean_up, settings_overrides

from kho.services.users import AccountDisabled
from kho.settings import load_settings
from kho.wiring import build_services

KHO = str(Path(sys.executable).with_name("kho"))
Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def overrides(stack: str, tmp_path: Path) -> dict[str, object]:
    """One set of settings (the distributed stack's bucket and index names are new each call)."""
    return dict(settings_overrides(stack, tmp_path))


@pytest.fixture
def env(overrides: dict[str, object]) -> dict[str, str]:
    built = {k: v for k, v in os.environ.items() if not k.startswith("KHO_")}
    for name, value in overrides.items():
        built[f"KHO_{name.upper()}"] = str(value)
    return built


@pytest.fixture
def kho(env: dict[str, str]) -> Run:
    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [KHO, *args], env=env, input=stdin, capture_output=True, text=True, timeout=120
        )

    return run


def test_create_list_disable_reset(kho: Run, overrides: dict[str, object]) -> None:
    made = kho(
        "users",
        "create",
        "hoa",
        "--role",
        "officer",
        "--name",
        "Nguyễn Thị Hoa",
        "--agency",
        "000.00.15.H62",
        stdin="mật-khẩu-dài\n",
    )
    assert made.returncode == 0, made.stderr
    shown = json.loads(made.stdout)
    assert shown["username"] == "hoa" and shown["role"] == "officer"
    assert shown["name"] == "Nguyễn Thị Hoa" and "password_hash" not in shown
    listed = [json.loads(line) for line in kho("users", "list").stdout.splitlines()]
    assert [u["username"] for u in listed] == ["hoa"]
    assert "argon2" not in kho("users", "list").stdout

    settings = load_settings(_env_file=None, **overrides)
    services = build_services(settings)
    try:
        user = services.users.authenticate("hoa", "mật-khẩu-dài")
        assert user.agency == "000.00.15.H62"
        assert services.users.get("hoa").password_hash.startswith("$argon2id$")
        assert kho("users", "reset-password", "hoa", stdin="another-password\n").returncode == 0
        services.users.authenticate("hoa", "another-password")
        assert kho("users", "disable", "hoa").returncode == 0
        with pytest.raises(AccountDisabled):
            services.users.authenticate("hoa", "another-password")
        assert kho("users", "enable", "hoa").returncode == 0
        services.users.authenticate("hoa", "another-password")
        actions = [e.action for e in services.backends.trail.events()]
        assert {"user.create", "user.reset-password", "user.disable", "user.enable"} <= set(actions)
    finally:
        services.close()
        clean_up(settings)


def test_usage_errors_exit_64_and_refusals_1(kho: Run) -> None:
    for args, stdin in (
        (("users", "create", "hoa"), "password-1\n"),  # no --role
        (("users", "create", "hoa", "--role", "chief"), "password-1\n"),
        (("users", "create", "hoa", "--role", "officer"), ""),  # no password
        (("users", "create", "hoa", "--role", "officer"), "short\n"),
        (("users", "create", "Hoa Nguyen", "--role", "officer"), "password-1\n"),
        (("users", "create", "hoa", "--role", "officer", "--agency", "no such"), "password-1\n"),
    ):
        done = kho(*args, stdin=stdin)
        assert done.returncode == 64, (args, done.stderr)
        assert "Traceback" not in done.stderr and done.stderr.strip()
    assert kho("users", "list").stdout == ""
    assert kho("users", "create", "hoa", "--role", "admin", stdin="password-1\n").returncode == 0
    twice = kho("users", "create", "hoa", "--role", "admin", stdin="password-1\n")
    assert twice.returncode == 1 and "already exists" in twice.stderr
    missing = kho("users", "disable", "nobody")
    assert missing.returncode == 1 and "no user" in missing.stderr
    help_text = kho("users", "create", "--help").stdout
    assert "--role" in help_text and "stdin" in help_text
