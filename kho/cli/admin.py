"""Operator and auditor commands: reindex, fixity, audit verify, retention run, keys."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import click

from kho.cli.main import CliContext, pass_context
from kho.cli.progress import Progress

__all__ = ["register"]


@click.command()
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
@pass_context
def reindex(state: CliContext, quiet: bool) -> int:
    """Rebuild the search index from the object store (xây dựng lại chỉ mục).

    Readers keep using the old index until the new one is complete.
    """
    services = state.services
    progress = Progress("reindex", quiet=quiet)
    count = services.indexing.reindex(progress)
    progress.finish()
    services.indexing.drain_outbox()
    click.echo(json.dumps({"indexed": count, "index": services.backends.index.name}))
    return 0


@click.command()
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
@pass_context
def fixity(state: CliContext, quiet: bool) -> int:
    """Re-hash every stored original and report mismatches (kiểm tra toàn vẹn).

    Prints a JSON report; exits 1 if any original changed or is missing.
    """
    progress = Progress("fixity", quiet=quiet)
    report = state.services.fixity.run(state.access(), progress)
    progress.finish()
    click.echo(
        json.dumps(
            {
                "ok": report.ok,
                "checked": report.checked,
                "bytes": report.bytes,
                "mismatches": report.mismatches,
            },
            ensure_ascii=False,
        )
    )
    for m in report.mismatches:
        click.echo(f"kho: record {m['record_id']}: {m['problem']}", err=True)
    return 0 if report.ok else 1


@click.group()
def audit() -> None:
    """The audit trail (nhật ký kiểm tra)."""


@audit.command("verify")
@pass_context
def audit_verify(state: CliContext) -> int:
    """Check the hash chain; exit 1 naming the first bad event if it is broken."""
    report = state.services.audit.verify()
    click.echo(
        json.dumps(
            {
                "ok": report.ok,
                "events": report.events,
                "first_bad_seq": report.first_bad_seq,
                "reason": report.reason,
            },
            ensure_ascii=False,
        )
    )
    if not report.ok:
        click.echo(f"kho: audit trail broken: {report.reason}", err=True)
        return 1
    return 0


@click.group()
def retention() -> None:
    """Retention schedules and disposal (thời hạn bảo quản)."""


@retention.command("run")
@pass_context
def retention_run(state: CliContext) -> int:
    """List the records whose retention has ended; never deletes anything.

    Disposal needs an approved decision (a later feature); this only reports what falls due.
    """
    services = state.services
    today = services.backends.today()
    due = 0
    for claim in services.backends.packages.claims():
        manifest = services.backends.packages.latest_manifest(claim.record_id)
        until = manifest.retention.retain_until
        if until is not None and until < today and not manifest.retention.holds:
            due += 1
            click.echo(
                json.dumps(
                    {
                        "record_id": manifest.record_id,
                        "result_type": manifest.result_type,
                        "retain_until": until.isoformat(),
                        "rule": manifest.retention.rule,
                    },
                    ensure_ascii=False,
                )
            )
    click.echo(f"kho: {due} record(s) past their retention; nothing was deleted", err=True)
    return 0


@click.group()
def keys() -> None:
    """Agency API keys (khóa API của cơ quan)."""


def _when(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date or time (YYYY-MM-DD)") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _csv(value: str | None) -> frozenset[str] | None:
    if value is None:
        return None
    return frozenset(v.strip() for v in value.split(",") if v.strip())


@keys.command("create")
@click.option("--agency", required=True, help="The agency's code, e.g. 000.00.15.H62.")
@click.option(
    "--scopes",
    required=True,
    help="Comma-separated: records:read, records:write, retention:manage, audit:read, "
    "subjects:access-log, keys:manage.",
)
@click.option("--label", help="A note on what the key is for.")
@click.option("--expires", help="Expiry date or time (ISO 8601).")
@click.option("--procedures", help="Limit lookups to these procedure codes (comma-separated).")
@click.option("--result-types", help="Limit lookups to these result types (comma-separated).")
@pass_context
def keys_create(
    state: CliContext,
    agency: str,
    scopes: str,
    label: str | None,
    expires: str | None,
    procedures: str | None,
    result_types: str | None,
) -> int:
    """Create an API key; the key is printed once, alone on the last line of stdout."""
    key, token = state.services.keys.create(
        agency=agency,
        scopes=_csv(scopes) or frozenset(),
        access=state.access(),
        label=label,
        expires_at=_when(expires),
        allowed_procedure_codes=_csv(procedures),
        allowed_result_types=_csv(result_types),
    )
    click.echo(json.dumps(key.to_json(), ensure_ascii=False))
    click.echo(token)
    return 0


@keys.command("list")
@pass_context
def keys_list(state: CliContext) -> int:
    """List API keys (never their secrets), one JSON line each."""
    for key in state.services.keys.list():
        click.echo(json.dumps(key.to_json(), ensure_ascii=False))
    return 0


@keys.command("revoke")
@click.argument("key_id")
@pass_context
def keys_revoke(state: CliContext, key_id: str) -> int:
    """Revoke an API key; a running server refuses it within seconds."""
    key = state.services.keys.revoke(key_id, state.access())
    click.echo(json.dumps(key.to_json(), ensure_ascii=False))
    return 0


def register(group: click.Group) -> None:
    for command in (reindex, fixity, audit, retention, keys):
        group.add_command(command)
