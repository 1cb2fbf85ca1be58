"""Records managers' commands: `kho retention run|schedule`, `kho holds place|release|list`,
`kho disposal propose|approve|reject|certificate|list` (CONTRACT.md "Retention").

Holds and disposals act as a person: `--as USERNAME`, the password read from stdin (one
line), checked by the users service; the two-person rule compares these principals.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import click

from kho.archive.manifest import Actor
from kho.cli.main import EXIT_CONFIG, CliContext, pass_context
from kho.retention.due import DueFilter
from kho.services import Access

__all__ = ["register"]

EXAMPLE = resources.files("kho.retention") / "example_schedule.yaml"
_ROLES = frozenset({"records_manager", "admin"})


def _echo(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, default=str))


def _as_user(state: CliContext, username: str) -> Access:
    """The principal named by --as, once its password (stdin) is checked."""
    users = getattr(state.services, "users", None)
    if users is None:
        click.echo(
            "kho: this build has no user accounts (services/users.py); --as cannot be checked",
            err=True,
        )
        raise SystemExit(EXIT_CONFIG)
    password = sys.stdin.readline().rstrip("\r\n")
    user = users.authenticate(username, password)
    if getattr(user, "role", None) not in _ROLES:
        click.echo(
            f"kho: {username} is not a records manager (vai trò: {getattr(user, 'role', '?')})",
            err=True,
        )
        raise SystemExit(1)
    actor: Actor = user.actor()
    return Access(actor=actor, console=True)


_AS = click.option(
    "--as",
    "username",
    required=True,
    metavar="USERNAME",
    help="Act as this records manager; the password is read from stdin.",
)


@click.group()
def retention() -> None:
    """Retention schedules and what falls due (thời hạn bảo quản)."""


@retention.command("run")
@click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The day to judge on (YYYY-MM-DD; default today in KHO_TIMEZONE).",
)
@click.option(
    "--no-recompute",
    is_flag=True,
    help="Do not first recompute retain_until under the schedule in force.",
)
@pass_context
def retention_run(state: CliContext, as_of: Any, no_recompute: bool) -> int:
    """List the records whose retention has ended, as JSON lines; never deletes anything.

    First recomputes every record's retain_until under the schedule in force (a changed
    rule is audited) and renews the object-lock horizon of permanent originals. Disposal
    needs an approved batch: `kho disposal propose`, then another person's `approve`.
    """
    services = state.services
    if not no_recompute:
        changed = services.retention.recompute(state.access())
        if changed:
            click.echo(
                f"kho: đã tính lại thời hạn của {changed} kết quả / recomputed {changed}", err=True
            )
    day: date | None = as_of.date() if as_of else None
    scan = services.retention.due(day)
    for item in scan:
        _echo(
            {
                **services.retention.due_item(item.manifest, item.held),
                "record_id": item.record_id,
                "rule": item.manifest.retention.rule,
            }
        )
    due, held, checked = scan.due, scan.held, scan.checked
    if due:
        click.echo(
            f"kho: {due}/{checked} kết quả đã hết thời hạn bảo quản ({held} đang tạm giữ); "
            f"không xóa gì / {due} of {checked} record(s) past their retention ({held} on "
            "hold); nothing was deleted",
            err=True,
        )
    else:
        click.echo(
            f"kho: trong {checked} kết quả, không có kết quả nào hết thời hạn bảo quản / "
            f"nothing due among {checked} record(s)",
            err=True,
        )
    return 0


@retention.command("schedule")
@click.option(
    "--example",
    is_flag=True,
    help="Print the example schedule for the demo's result types (YAML; not legal advice).",
)
@pass_context
def retention_schedule(state: CliContext, example: bool) -> int:
    """Print the schedule in force (its rules and version) as JSON; a new version is kept
    and audited the first time it is seen."""
    if example:
        click.echo(EXAMPLE.read_text(encoding="utf-8"), nl=False)
        return 0
    state.services.retention.note_schedule(state.access())
    _echo(state.services.retention.schedule.to_json())
    return 0


@click.group()
def holds() -> None:
    """Legal holds (tạm giữ): held records are never disposed of."""


@holds.command("place")
@_AS
@click.option("--reason", required=True, help="Why (lý do).")
@click.option("--record", "record_ids", multiple=True, help="A record id (repeatable).")
@click.option("--subject", "subject_id", help="Every result of this subject, now and later.")
@click.option(
    "--query",
    "query",
    help='A saved query as JSON, e.g. \'{"procedure_code": "1.001193"}\': every result '
    "matching it, now and later.",
)
@click.option("--reference", help="The case or decision behind the hold.")
@pass_context
def holds_place(
    state: CliContext,
    username: str,
    reason: str,
    record_ids: tuple[str, ...],
    subject_id: str | None,
    query: str | None,
    reference: str | None,
) -> int:
    """Place a hold on records, a subject or a saved query; prints it as JSON."""
    parsed: dict[str, str] | None = None
    if query is not None:
        try:
            raw = json.loads(query)
        except ValueError as exc:
            raise click.BadParameter(f"not JSON: {exc}", param_hint="--query") from None
        if not isinstance(raw, dict):
            raise click.BadParameter("expected a JSON object", param_hint="--query")
        parsed = {str(k): str(v) for k, v in raw.items()}
    access = _as_user(state, username)
    hold = state.services.retention.place_hold(
        access,
        reason=reason,
        record_ids=list(record_ids) or None,
        subject_id=subject_id,
        query=parsed,
        reference=reference,
    )
    _echo(hold.to_json())
    return 0


@holds.command("release")
@_AS
@click.argument("hold_id")
@click.option("--reason", required=True, help="Why (lý do).")
@pass_context
def holds_release(state: CliContext, username: str, hold_id: str, reason: str) -> int:
    """Release a hold (giải tỏa), with a reason."""
    access = _as_user(state, username)
    _echo(state.services.retention.release_hold(hold_id, reason, access).to_json())
    return 0


@holds.command("list")
@pass_context
def holds_list(state: CliContext) -> int:
    """Every hold, active or released, as JSON lines."""
    for hold in state.services.retention.holds.all():
        _echo(hold.to_json())
    return 0


@click.group()
def disposal() -> None:
    """Disposal (hủy tài liệu hết giá trị): propose, another person approves, certificate."""


@disposal.command("propose")
@_AS
@click.option("--reason", required=True, help="Why (lý do).")
@click.option("--record", "record_ids", multiple=True, help="A record id (repeatable).")
@click.option(
    "--all-due",
    is_flag=True,
    help="Every record due today that is not held (filters: --result-type, --issuer).",
)
@click.option("--result-type", help="With --all-due: only this result type.")
@click.option("--issuer", help="With --all-due: only this issuer code.")
@pass_context
def disposal_propose(
    state: CliContext,
    username: str,
    reason: str,
    record_ids: tuple[str, ...],
    all_due: bool,
    result_type: str | None,
    issuer: str | None,
) -> int:
    """Propose a batch of due records; prints the batch (its batch_id) as JSON."""
    if bool(record_ids) == all_due:
        raise click.UsageError("give --record ID... or --all-due")
    access = _as_user(state, username)
    services = state.services
    ids = list(record_ids)
    if all_due:
        where = DueFilter(result_type=result_type, issuer_code=issuer, held=False)
        ids = [item.record_id for item in services.retention.due(where=where)]
        if not ids:
            click.echo("kho: không có kết quả nào đến hạn / nothing due", err=True)
            return 1
    _echo(services.retention.propose(ids, reason, access).to_json())
    return 0


@disposal.command("approve")
@_AS
@click.argument("batch_id")
@pass_context
def disposal_approve(state: CliContext, username: str, batch_id: str) -> int:
    """Approve a batch another person proposed, and execute it (again: finish it)."""
    access = _as_user(state, username)
    _echo(state.services.retention.approve(batch_id, access).to_json())
    return 0


@disposal.command("reject")
@_AS
@click.argument("batch_id")
@click.option("--reason", required=True, help="Why (lý do).")
@pass_context
def disposal_reject(state: CliContext, username: str, batch_id: str, reason: str) -> int:
    """Reject a batch; it can never be approved."""
    access = _as_user(state, username)
    _echo(state.services.retention.reject(batch_id, reason, access).to_json())
    return 0


@disposal.command("certificate")
@_AS
@click.argument("batch_id")
@click.option(
    "--html",
    "html_out",
    type=click.Path(path_type=Path),
    help="Also write the printable minutes here.",
)
@pass_context
def disposal_certificate(
    state: CliContext, username: str, batch_id: str, html_out: Path | None
) -> int:
    """Print the certificate (biên bản hủy) of an executed batch as JSON."""
    access = _as_user(state, username)
    certificate = state.services.retention.certificate(batch_id, access)
    if html_out is not None:
        html_out.write_text(state.services.retention.certificate_html(batch_id), encoding="utf-8")
    _echo(certificate)
    return 0


@disposal.command("list")
@pass_context
def disposal_list(state: CliContext) -> int:
    """Every disposal batch, newest first, as JSON lines."""
    for batch in state.services.retention.list_batches():
        _echo(batch.to_json())
    return 0


def register(group: click.Group) -> None:
    for command in (retention, holds, disposal):
        group.add_command(command)
