"""`kho verify FILE`: validate every signature in a PDF, with ETSI indications."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from kho.cli.main import CliContext, pass_context
from kho.indexer.errors import UnreadableDocument

__all__ = ["register"]

EXIT_PASSED, EXIT_FAILED, EXIT_INDETERMINATE, EXIT_UNSIGNED, EXIT_UNREADABLE = 0, 1, 2, 3, 4
_EXIT = {
    "TOTAL-PASSED": EXIT_PASSED,
    "TOTAL-FAILED": EXIT_FAILED,
    "INDETERMINATE": EXIT_INDETERMINATE,
}


@click.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, allow_dash=False))
@pass_context
def verify(state: CliContext, file: Path) -> int:
    """Validate every signature in a PDF (kiểm tra chữ ký số); a JSON report on stdout.

    Exit 0 TOTAL-PASSED, 1 TOTAL-FAILED, 2 INDETERMINATE, 3 no signature, 4 unreadable input.
    """
    try:
        data = file.read_bytes()
    except OSError as exc:
        click.echo(f"kho: cannot read {file}: {exc.strerror}", err=True)
        return EXIT_UNREADABLE
    try:
        report = state.services.verify.verify_upload(data, state.access())
    except UnreadableDocument as exc:
        click.echo(
            json.dumps(
                {"file": str(file), "readable": False, "detail": exc.detail}, ensure_ascii=False
            )
        )
        click.echo(f"kho: {file}: {exc.detail}", err=True)
        return EXIT_UNREADABLE
    click.echo(json.dumps({"file": str(file), **report.to_json()}, ensure_ascii=False, indent=2))
    if not report.signed:
        if sys.stdout.isatty():
            click.echo("Không có chữ ký số — no signature.", err=True)
        return EXIT_UNSIGNED
    indication = report.summary()["indication"]
    if sys.stdout.isatty():
        click.echo(f"{file}: {indication}", err=True)
    return _EXIT.get(str(indication), EXIT_INDETERMINATE)


def register(group: click.Group) -> None:
    group.add_command(verify)
