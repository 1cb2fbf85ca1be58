"""`kho verify FILE`: validate every signature in a PDF, with ETSI indications; and
`kho revalidate`: validate stored records again (after a trust-root change, say)."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from kho.archive.signatures import install as install_signatures
from kho.cli.main import CliContext, pass_context
from kho.cli.progress import Progress
from kho.errors import UnreadableDocument
from kho.services.verify import (
    Revalidation,
    check_pdf,
    policy_from_settings,
    report_document,
    trust_from_settings,
)
from kho.web.reports import INDICATIONS, render_report

__all__ = ["register"]

EXIT_PASSED, EXIT_FAILED, EXIT_INDETERMINATE, EXIT_UNSIGNED, EXIT_UNREADABLE = 0, 1, 2, 3, 4
EXIT_CANNOT_WRITE = 73  # sysexits EX_CANTCREAT: the --html file could not be written
_EXIT = {
    "TOTAL-PASSED": EXIT_PASSED,
    "TOTAL-FAILED": EXIT_FAILED,
    "INDETERMINATE": EXIT_INDETERMINATE,
}


def _read(file: Path) -> bytes:
    if str(file) == "-":
        return sys.stdin.buffer.read()
    return file.read_bytes()


def _summary(name: str, report: Mapping[str, Any]) -> str:
    """The human summary for a terminal: Vietnamese first, then English."""
    indication = report.get("indication")
    _css, verdict_vi, verdict_en = INDICATIONS.get(indication, INDICATIONS[None])
    sub = report.get("subindication")
    code = f" ({indication}{' / ' + sub if sub else ''})" if indication else ""
    signatures = report.get("signatures") or []
    lines = [f"{name}: {verdict_vi}{code} — {len(signatures)} chữ ký"]
    for number, item in enumerate(signatures, 1):
        who = (item.get("signer") or {}).get("common_name") or "?"
        lines.append(f"  {number}. {who}: {item.get('message_vi')}")
    lines.append(f"{name}: {verdict_en}{code} — {len(signatures)} signature(s)")
    for number, item in enumerate(signatures, 1):
        who = (item.get("signer") or {}).get("common_name") or "?"
        lines.append(f"  {number}. {who}: {item.get('message_en')}")
    return "\n".join(lines)


@click.command()
@click.argument("file", type=click.Path(path_type=Path, allow_dash=True))
@click.option(
    "--html",
    "html_out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write the printable report (Vietnamese, then English) to this HTML file.",
)
@pass_context
def verify(state: CliContext, file: Path, html_out: Path | None) -> int:
    """Validate every signature in a PDF (kiểm tra chữ ký số); a JSON report on stdout.

    Exit 0 TOTAL-PASSED, 1 TOTAL-FAILED, 2 INDETERMINATE, 3 no signature, 4 unreadable
    input, 73 the --html file cannot be written, 78 a wrong trust setting. FILE may be -
    for standard input. Nothing is stored and no backend is needed.
    """
    try:
        data = _read(file)
    except OSError as exc:
        click.echo(f"kho: cannot read {file}: {exc.strerror or exc}", err=True)
        return EXIT_UNREADABLE
    trust = trust_from_settings(state.settings)  # TrustSettingsError: exit 78
    policy = policy_from_settings(state.settings)
    install_signatures()  # no services here: the command is its own composition root
    try:
        report = check_pdf(data, trust, policy=policy)
    except UnreadableDocument as exc:
        click.echo(
            json.dumps(
                {"file": str(file), "readable": False, "detail": exc.detail}, ensure_ascii=False
            )
        )
        click.echo(f"kho: {file}: {exc.detail}", err=True)
        return EXIT_UNREADABLE
    body = {"file": str(file), **report_document(report, trust, data=data)}
    click.echo(json.dumps(body, ensure_ascii=False, indent=2))
    if sys.stdout.isatty():
        click.echo(_summary(file.name or str(file), body), err=True)
    if html_out is not None:
        page = render_report(body, zone=state.settings.zone, source=str(file))
        try:
            html_out.write_text(page, encoding="utf-8")
        except OSError as exc:
            click.echo(f"kho: cannot write {html_out}: {exc.strerror or exc}", err=True)
            return EXIT_CANNOT_WRITE
    if not report.signed:
        return EXIT_UNSIGNED
    return _EXIT.get(str(report.summary()["indication"]), EXIT_INDETERMINATE)


def _line(outcome: Revalidation) -> str:
    return json.dumps(
        {
            "record_id": outcome.record_id,
            "indication": outcome.indication,
            "subindication": outcome.subindication,
            "previous_indication": outcome.previous_indication,
            "validated_at": outcome.validated_at.isoformat() if outcome.validated_at else None,
            "as_of": outcome.moment.isoformat() if outcome.moment else None,
            "problem": outcome.problem,
        },
        ensure_ascii=False,
    )


@click.command()
@click.argument("record_ids", nargs=-1)
@click.option("--all", "every", is_flag=True, help="Re-validate every record of the archive.")
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
@pass_context
def revalidate(state: CliContext, record_ids: tuple[str, ...], every: bool, quiet: bool) -> int:
    """Validate stored records again (xác thực lại chữ ký), e.g. after a trust-root change.

    Each record is judged as of its deposit (AdES past validation); the new report is kept
    beside the earlier ones. One JSON line per record on stdout, progress on stderr.
    Exit 0 if every record is TOTAL-PASSED, 1 if any is TOTAL-FAILED or could not be
    re-validated, 2 if any is INDETERMINATE (and none failed).
    """
    if every == bool(record_ids):
        raise click.UsageError("name one or more RECORD_IDs, or --all (not both)")
    services = state.services
    progress = Progress(
        "xác thực lại / revalidate", None if every else len(record_ids), quiet=quiet
    )
    worst = EXIT_PASSED
    outcomes = services.verify.revalidate_many(
        None if every else record_ids, state.access(), progress
    )
    for outcome in outcomes:
        click.echo(_line(outcome))
        if outcome.problem is not None or outcome.indication == "TOTAL-FAILED":
            code = EXIT_FAILED
        elif outcome.indication == "TOTAL-PASSED":
            code = EXIT_PASSED
        else:
            code = EXIT_INDETERMINATE
        # TOTAL-FAILED (1) outranks INDETERMINATE (2): the worst verdict decides.
        if code == EXIT_FAILED or (code == EXIT_INDETERMINATE and worst == EXIT_PASSED):
            worst = code
    progress.finish()
    return worst


def register(group: click.Group) -> None:
    group.add_command(verify)
    group.add_command(revalidate)
