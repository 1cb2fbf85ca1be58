"""`kho backup DIR` and `kho restore DIR`: a consistent copy of the embedded archive, taken
while it serves, and that copy put back into an empty data folder (services/backup.py)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from kho.cli.main import CliContext, pass_context
from kho.cli.progress import Progress

__all__ = ["register"]


class _Refused(click.ClickException):
    exit_code = 1

    def show(self, file: object = None) -> None:
        click.echo(f"kho: {self.message}", err=True)


@click.command()
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
@pass_context
def backup(state: CliContext, folder: Path, quiet: bool) -> int:
    """Copy the archive into FOLDER, new or empty, while it serves (sao lưu).

    The store, the audit trail, API keys and users, the indexes and the secrets the
    archive needs (the API-key HMAC key, the audit checkpoint key and latest checkpoint):
    keep FOLDER as safe as KHO_SECRETS_DIR. Writes wait for a moment near the end, while
    what changed during the copy is copied again; the copy is the archive as it stood
    then. Prints a JSON report; `kho restore FOLDER` puts it back. Embedded default only
    (on MinIO: `mc mirror`, see README).
    """
    from kho.archive.stores.local import LocalObjectStore
    from kho.services.backup import BackupError, require_embedded
    from kho.services.backup import backup as take_backup

    require_embedded(state.settings, "backup")
    services = state.services
    store = services.backends.store
    assert isinstance(store, LocalObjectStore)
    progress = Progress("backup", quiet=quiet)
    try:
        report = take_backup(
            state.settings,
            store,
            folder,
            progress,
            audit_seq=lambda: services.backends.trail.head()[0],
        )
    except BackupError as exc:
        raise _Refused(str(exc)) from None
    progress.finish()
    services.audit.record(
        "backup",
        state.access(),
        detail={
            "folder": str(folder.resolve()),
            "files": report.files,
            "records": report.records,
            "audit_seq": report.audit_seq,
        },
    )
    click.echo(json.dumps(report.to_json(), ensure_ascii=False))
    return 0


@click.command()
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
@pass_context
def restore(state: CliContext, folder: Path, quiet: bool) -> int:
    """Restore a backup made by `kho backup` into KHO_DATA_DIR (khôi phục).

    KHO_DATA_DIR must be empty or absent (a restore never overwrites an archive), and
    KHO_SECRETS_DIR must not hold other secrets than the backup's. Then run `kho fixity`
    and `kho audit verify`; `kho serve` indexes whatever the index had not yet taken.
    """
    from kho.services.backup import BackupError
    from kho.services.backup import restore as put_back

    progress = Progress("restore", quiet=quiet)
    try:
        report = put_back(state.settings, folder, progress)
    except BackupError as exc:
        raise _Refused(str(exc)) from None
    progress.finish()
    click.echo(json.dumps(report, ensure_ascii=False))
    return 0


def register(group: click.Group) -> None:
    group.add_command(backup)
    group.add_command(restore)
