"""`kho settlements import|backlog` and `kho indicators`: settlement notices from a CSV
file, what is still waiting to be digitized, and Decision 468's indicators as a table,
JSON, CSV or a spreadsheet."""

from __future__ import annotations

import csv
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

import click

from kho.archive.settlement import NOTICE_FIELDS
from kho.cli.main import CliContext, pass_context
from kho.cli.progress import Progress
from kho.errors import KhoError
from kho.services.indicator_formats import to_csv, to_table, to_xlsx
from kho.services.periods import Period

__all__ = ["register"]

EXIT_CANNOT_WRITE = 73


def _day(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date written YYYY-MM-DD", ctx, param
        ) from None


def _line(body: dict[str, Any]) -> None:
    click.echo(json.dumps(body, ensure_ascii=False))


@click.group()
def settlements() -> None:
    """Settlement notices from the one-door system (thông báo kết quả giải quyết TTHC)."""


@settlements.command("import")
@click.argument("csv_file", metavar="FILE.csv", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
@pass_context
def import_(state: CliContext, csv_file: Path, quiet: bool) -> int:
    """Keep the notices of FILE.csv, one a row.

    Columns: dossier_code, result_code, issuer_code, procedure_code, level
    (central|province|district|commune), settled_on (YYYY-MM-DD), result_form
    (electronic|paper). One JSON line per row on stdout: {"index", "result_code",
    "outcome": "created|existing|conflict|invalid|failed", "problem"}. Exit 0 if every row
    is created or existing, else 1.
    """
    try:
        text = csv_file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise click.BadParameter(f"cannot read {csv_file}: {exc}") from None
    reader = csv.DictReader(text.splitlines())
    columns = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in NOTICE_FIELDS if name not in columns]
    unknown = [name for name in columns if name not in NOTICE_FIELDS]
    if missing or unknown:
        raise click.BadParameter(
            f"{csv_file}: "
            + "; ".join(
                part
                for part in (
                    f"missing columns {', '.join(missing)}" if missing else "",
                    f"unknown columns {', '.join(unknown)}" if unknown else "",
                )
                if part
            )
        )
    reader.fieldnames = columns
    rows = list(reader)
    services = state.services
    access = state.access()
    progress = Progress("settlements", quiet=quiet)
    ok = True
    for index, row in enumerate(rows):
        raw: dict[str, Any] = {
            k: (v.strip() if isinstance(v, str) else v) for k, v in row.items() if k is not None
        }
        if None in row:  # more cells than columns
            raw["extra_cells"] = row[None]
        line: dict[str, Any] = {"index": index, "result_code": raw.get("result_code")}
        try:
            outcome = services.settlements.notify(raw, access)
            line.update(
                outcome=outcome.outcome, record_id=outcome.notice["record_id"], problem=None
            )
        except KhoError as exc:
            ok = False
            kind = {
                "invalid-metadata": "invalid",
                "unknown-agency": "invalid",
                "conflict": "conflict",
            }.get(exc.problem_type, "failed")
            line.update(outcome=kind, record_id=None, problem=exc.problem())
        _line(line)
        progress(index + 1, len(rows))
    progress.finish()
    return 0 if ok else 1


@settlements.command()
@click.option("--issuer-code", help="One agency's backlog (else every agency's).")
@click.option("--page", type=click.IntRange(1), default=1, show_default=True)
@click.option("--page-size", type=click.IntRange(1, 100), default=100, show_default=True)
@pass_context
def backlog(state: CliContext, issuer_code: str | None, page: int, page_size: int) -> int:
    """Settled results Kho does not hold yet, oldest first (tồn đọng số hóa).

    Prints the JSON of `GET /api/v1/settlements/backlog`.
    """
    result = state.services.indicators.backlog(
        issuer_code, state.access(), page=page, page_size=page_size
    )
    _line({"items": result.items, "total": result.total, "page": page, "page_size": page_size})
    return 0


@click.command()
@click.option("--from", "since", callback=_day, metavar="YYYY-MM-DD", help="First day.")
@click.option("--to", "until", callback=_day, metavar="YYYY-MM-DD", help="Last day (inclusive).")
@click.option("--period", metavar="P", help="Instead of --from/--to: 2026, 2026-Q3 or 2026-07.")
@click.option(
    "--group-by",
    type=click.Choice(["level", "issuer_code", "procedure_code"]),
    help="Split the settlement figures (reuse figures stay totals).",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json", "csv", "xlsx"]),
    default="table",
    show_default=True,
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to FILE instead of stdout (needed for xlsx).",
)
@pass_context
def indicators(
    state: CliContext,
    since: date | None,
    until: date | None,
    period: str | None,
    group_by: str | None,
    output_format: str,
    output: Path | None,
) -> int:
    """Decision 468 indicators for a period (chỉ tiêu Quyết định 468/QĐ-TTg).

    Settled results, those digitized by the period's end and the rate (with the target of
    each level), signed, waiting, days to digitize; lookups, lookups that found a reusable
    result, content reads by other agencies, subjects and dossiers served. JSON is the
    body of `GET /api/v1/indicators`; xlsx is the quarterly report and needs --output.

    \b
    kho indicators --period 2026-Q3 --group-by level
    kho indicators --from 2026-07-01 --to 2026-09-30 --format xlsx -o bao-cao-q3.xlsx
    """
    if output_format == "xlsx" and output is None:
        raise click.UsageError("--format xlsx writes a file: give --output FILE.xlsx")
    try:
        chosen = Period.parse(since, until, period)
    except KhoError as exc:
        raise click.UsageError(exc.detail) from None
    report = state.services.indicators.report(chosen, group_by, state.access())
    data: bytes
    if output_format == "json":
        data = (json.dumps(report, ensure_ascii=False) + "\n").encode("utf-8")
    elif output_format == "csv":
        data = to_csv(report).encode("utf-8")
    elif output_format == "xlsx":
        data = to_xlsx(report)
    else:
        data = to_table(report).encode("utf-8")
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return 0
    try:
        output.write_bytes(data)
    except OSError as exc:
        click.echo(f"kho: cannot write {output}: {exc.strerror or exc}", err=True)
        return EXIT_CANNOT_WRITE
    click.echo(f"kho: wrote {output}", err=True)
    return 0


def register(cli: click.Group) -> None:
    cli.add_command(settlements)
    cli.add_command(indicators)
