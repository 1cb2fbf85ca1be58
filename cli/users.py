"""`kho users`: the people who sign in to the web UI (người dùng giao diện web).

Passwords are read from stdin (one line) when stdin is not a terminal, else asked for twice
without echo; they never go on the command line, where `ps` and the shell history see them.
"""

from __future__ import annotations

import json
import sys

import click

from kho.cli.main import CliContext, pass_context
from kho.services.errors import InvalidQuery
from kho.services.users import ROLES

__all__ = ["register"]


def _password() -> str:
    if not sys.stdin.isatty():
        line = sys.stdin.readline()
        password = line.removesuffix("\n").removesuffix("\r")
        if not password:
            raise click.UsageError("no password on stdin (one line is read)")
        return password
    first = click.prompt("Mật khẩu / password", hide_input=True, err=True)
    second = click.prompt("Nhập lại / again", hide_input=True, err=True)
    if first != second:
        raise click.UsageError("the two passwords differ")
    return str(first)


@click.group()
def users() -> None:
    """Web UI accounts (tài khoản người dùng): officers, records managers, auditors, admins."""


@users.command("create")
@click.argument("username")
@click.option(
    "--role",
    required=True,
    type=click.Choice(ROLES),
    help="officer (cán bộ một cửa), records_manager (lưu trữ), auditor (kiểm tra), admin.",
)
@click.option("--name", help='The person\'s full name, e.g. "Nguyễn Thị Hoa".')
@click.option("--agency", help="The agency's code, e.g. 000.00.15.H62.")
@pass_context
def users_create(
    state: CliContext, username: str, role: str, name: str | None, agency: str | None
) -> int:
    """Create an account; the password comes from stdin (one line) or is asked for.

    Example: printf '%s\\n' "$PASSWORD" | kho users create hoa --role officer
    --name "Nguyễn Thị Hoa" --agency 000.00.15.H62
    """
    password = _password()
    try:
        user = state.services.users.create(
            username, password, role, name=name, agency=agency, access=state.access()
        )
    except InvalidQuery as exc:  # a bad username, password, name or agency: exit 64
        raise click.UsageError(exc.detail) from None
    click.echo(json.dumps(user.to_json(), ensure_ascii=False))
    return 0


@users.command("list")
@pass_context
def users_list(state: CliContext) -> int:
    """List accounts (never their password hashes), one JSON line each."""
    for user in state.services.users.list():
        click.echo(json.dumps(user.to_json(), ensure_ascii=False))
    return 0


@users.command("disable")
@click.argument("username")
@pass_context
def users_disable(state: CliContext, username: str) -> int:
    """Disable an account; its open sessions end at their next request."""
    user = state.services.users.disable(username, state.access())
    click.echo(json.dumps(user.to_json(), ensure_ascii=False))
    return 0


@users.command("enable")
@click.argument("username")
@pass_context
def users_enable(state: CliContext, username: str) -> int:
    """Open a disabled account again (with its old password; see reset-password)."""
    user = state.services.users.enable(username, state.access())
    click.echo(json.dumps(user.to_json(), ensure_ascii=False))
    return 0


@users.command("reset-password")
@click.argument("username")
@pass_context
def users_reset_password(state: CliContext, username: str) -> int:
    """Give an account a new password (stdin or asked for); unlocks it, ends its sessions."""
    password = _password()
    try:
        user = state.services.users.reset_password(username, password, state.access())
    except InvalidQuery as exc:
        raise click.UsageError(exc.detail) from None
    click.echo(json.dumps(user.to_json(), ensure_ascii=False))
    return 0


def register(group: click.Group) -> None:
    group.add_command(users)
