"""Operator and auditor commands: reindex, fixity, audit verify, keys (retention: retention.py)."""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import click

from kho.cli.main import CliContext, pass_context
from kho.cli.progress import Progress

__all__ = ["register"]


@click.command()
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
@pass_context
def reindex(state: CliContext, quiet: bool) -> int:
    """Rebuild the search index from the object store (xây dựng lại chỉ mục).

    The audit-event index and the indicators' aggregate are rebuilt too, from the trail
    and the store.

    Readers keep using the old index until the new one is complete. Records deposited
    before content claims existed get theirs (one signed result, one record); bytes the
    archive already held under two result codes are listed in `duplicate_content`.
    """
    services = state.services
    progress = Progress("reindex", quiet=quiet)
    count = services.indexing.reindex(progress)
    progress.finish()
    services.indexing.drain_outbox()
    events = services.audit.reindex()
    indicators_through = services.indicators.rebuild()
    content = services.content_claims.backfill()
    for record_id, holder in content.duplicates:
        click.echo(
            f"kho: record {record_id} holds the same bytes as record {holder} "
            "(deposited before duplicates were refused); both are kept",
            err=True,
        )
    click.echo(
        json.dumps(
            {
                "indexed": count,
                "index": services.indexing.index_name,
                "audit_events": events,
                "indicators_through_seq": indicators_through,
                "content_claims_added": content.added,
                "duplicate_content": [
                    {"record_id": record_id, "same_bytes_as": holder}
                    for record_id, holder in content.duplicates
                ],
            }
        )
    )
    return 0


@click.command()
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
@pass_context
def fixity(state: CliContext, quiet: bool) -> int:
    """Re-hash every file of every package and report mismatches (kiểm tra toàn vẹn).

    Originals, manifests, extracted text, validation reports and claims are compared with
    the hashes the audit trail recorded when each was written. Prints a JSON report; exits 1
    if any file changed, went missing or was never audited. Records deposited before hashes
    were audited are listed as `unaudited` (only their originals are checked). Run
    `kho audit verify` too: it vouches for the trail these hashes come from.
    """
    from kho.services.fixity import describe

    progress = Progress("fixity", quiet=quiet)
    report = state.services.fixity.run(state.access(), progress)
    progress.finish()
    click.echo(
        json.dumps(
            {
                "ok": report.ok,
                "checked": report.checked,
                "files": report.files,
                "bytes": report.bytes,
                "mismatches": report.mismatches,
                "unaudited": len(report.unaudited),
                "unaudited_records": report.unaudited[:1000],
            },
            ensure_ascii=False,
        )
    )
    for line in describe(report):
        click.echo(line, err=True)
    return 0 if report.ok else 1


@click.group()
def audit() -> None:
    """The audit trail (nhật ký kiểm tra)."""


@audit.command("verify")
@pass_context
def audit_verify(state: CliContext) -> int:
    """Check the hash chain; exit 1 naming the first bad event if it is broken.

    Reads every sealed segment and loose batch: each event's canonical form, hash, number
    and link to the one before, and each segment's chain proof; then compares the trail
    with the latest signed checkpoint in the audit anchor, which catches a trail rewritten
    with recomputed hashes or shortened together with the event index.
    """
    report = state.services.audit.verify()
    click.echo(json.dumps(report.to_json(), ensure_ascii=False))
    if not report.ok:
        named = f"event {report.first_bad_seq}" if report.first_bad_seq else "the trail"
        if report.first_bad_event_id:
            named += f" ({report.first_bad_event_id})"
        click.echo(f"kho: audit trail broken at {named}: {report.reason}", err=True)
        return 1
    return 0


def _day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date (YYYY-MM-DD)", param_hint=option
        ) from None


@audit.command("export")
@click.option("--from", "since", required=True, help="First day (YYYY-MM-DD, KHO_TIMEZONE).")
@click.option("--to", "until", required=True, help="Last day, inclusive (YYYY-MM-DD).")
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="File (default stdout)."
)
@pass_context
def audit_export(state: CliContext, since: str, until: str, output: Path | None) -> int:
    """Print the events of a period as JSON lines, then a chain proof line.

    The proof line `{"proof": {...}}` gives the hash of the event before the first one and
    the last hash: anyone can recompute each event's SHA-256 over its RFC 8785 form (without
    `hash`) and check the links from `prev_hash` to `last_hash`.
    """
    first_day, last_day = _day(since, "--from"), _day(until, "--to")
    if last_day < first_day:
        raise click.BadParameter("--to is before --from", param_hint="--to")
    zone = state.settings.zone
    start = datetime.combine(first_day, time.min, tzinfo=zone)
    end = datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=zone)
    lines = state.services.audit.export(start, end, state.access())
    out = output.open("w", encoding="utf-8") if output else sys.stdout
    try:
        for item in lines:
            out.write(json.dumps(item, ensure_ascii=False) + "\n")
    finally:
        if output:
            out.close()
    return 0


@audit.command("checkpoint")
@pass_context
def audit_checkpoint(state: CliContext) -> int:
    """Sign the trail's head now and keep it in the audit anchor (the server does this
    after each seal and periodically); prints the checkpoint as JSON."""
    checkpoint = state.services.audit.checkpoints.write()
    if checkpoint is None:
        click.echo("kho: nothing new to anchor since the last checkpoint", err=True)
        return 0
    click.echo(json.dumps(checkpoint.to_json(), ensure_ascii=False))
    return 0


@audit.command("seal")
@click.option("--force", is_flag=True, help="Seal every loose event now, however few.")
@pass_context
def audit_seal(state: CliContext, force: bool) -> int:
    """Roll loose audit batches into write-once segments (the server does this by itself)."""
    results = state.services.audit.seal(force=force)
    for result in results:
        click.echo(
            json.dumps(
                {"segment": result.key, "first_seq": result.first_seq, "last_seq": result.last_seq}
            )
        )
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
@click.option(
    "--on-behalf-of",
    "on_behalf_of",
    metavar="CODE[,CODE]",
    help="Other agencies the key deposits, supersedes and revokes for (e.g. those a "
    "province's one-door system serves); without it, only --agency.",
)
@pass_context
def keys_create(
    state: CliContext,
    agency: str,
    scopes: str,
    label: str | None,
    expires: str | None,
    procedures: str | None,
    result_types: str | None,
    on_behalf_of: str | None,
) -> int:
    """Create an API key (cấp khóa API); printed once, alone on the last line of stdout.

    A key deposits, supersedes and revokes only results of its own agency (issuer_code =
    --agency) and of the agencies named by --on-behalf-of.
    """
    key, token = state.services.keys.create(
        agency=agency,
        scopes=_csv(scopes) or frozenset(),
        access=state.access(),
        label=label,
        expires_at=_when(expires),
        allowed_procedure_codes=_csv(procedures),
        allowed_result_types=_csv(result_types),
        on_behalf_of=_csv(on_behalf_of) or frozenset(),
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


@click.command()
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="File (default stdout)."
)
@click.option("--check", is_flag=True, help="Exit 1 if --output differs from the app's spec.")
def openapi(output: Path | None, check: bool) -> int:
    """Print the OpenAPI document of /api/v1 (the committed api/openapi.json)."""
    from kho.api.spec import current_spec

    text = current_spec()
    if check:
        if output is None:
            raise click.UsageError("--check needs --output")
        if not output.is_file() or output.read_text(encoding="utf-8") != text:
            click.echo(f"kho: {output} is out of date; run `kho openapi -o {output}`", err=True)
            return 1
        return 0
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
    return 0


def register(group: click.Group) -> None:
    for command in (reindex, fixity, audit, keys, openapi):
        group.add_command(command)
