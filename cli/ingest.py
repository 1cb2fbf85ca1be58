"""`kho ingest`: deposit signed results from files, one JSON line per input on stdout.

With `--jobs N`, N deposits run at once on threads of this process (`_run_parallel`); the
lines still come in input order.
"""

from __future__ import annotations

import csv
import json
import sys
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import click

from kho.archive.errors import InvalidMetadata
from kho.archive.metadata_json import load_metadata_json
from kho.cli.main import CliContext, pass_context
from kho.cli.progress import Progress
from kho.errors import KhoError
from kho.services import Access, Services
from kho.services.deposit import CONFLICTS

__all__ = ["register"]

BATCH_COLUMNS = (
    "file",
    "issuer_code",
    "result_code",
    "dossier_code",
    "procedure_code",
    "procedure_name",
    "result_type",
    "subjects",
    "issued_on",
    "valid_from",
    "valid_until",
    "validity_scope",
)
_INVALID = {
    "invalid-metadata",
    "unknown-agency",
    "unsigned-document",
    "unsupported-media-type",
    "too-large",
    "unreadable-file",
    "invalid-query",
    "file-not-found",
}


class _InputProblem(KhoError):
    problem_type = "invalid-metadata"
    title = "Invalid input"


class _FileMissing(KhoError):
    problem_type = "file-not-found"
    title = "File not found"


def _parse_subjects(text: str) -> list[dict[str, str]]:
    subjects = []
    for item in text.split(";"):
        if not item.strip():
            continue
        parts = item.split(":", 2)
        if len(parts) != 3:
            raise _InputProblem(f"subjects: {item!r} is not kind:id:name")
        kind, sid, name = (p.strip() for p in parts)
        subjects.append({"kind": kind, "id": sid, "name": name})
    return subjects


def _batch_inputs(batch: Path) -> Iterator[tuple[Path, object]]:
    try:
        handle = batch.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise click.UsageError(f"cannot read {batch}: {exc.strerror}") from None
    with handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        missing = [c for c in ("file", "issuer_code", "result_code") if c not in header]
        if missing:
            raise click.UsageError(
                f"{batch}: the header must be {','.join(BATCH_COLUMNS)} "
                f"(missing {', '.join(missing)})"
            )
        for row in reader:
            extra = row.pop(None, None)  # type: ignore[call-overload,unused-ignore]
            path = batch.parent / (row.get("file") or "")
            try:
                if extra:
                    raise _InputProblem("the row has more fields than the header")
                meta: dict[str, Any] = {}
                for column in BATCH_COLUMNS[1:]:
                    value = (row.get(column) or "").strip()
                    if not value:
                        continue
                    meta[column] = _parse_subjects(value) if column == "subjects" else value
                yield path, meta
            except _InputProblem as exc:
                yield path, exc


def _metadata_inputs(files: tuple[Path, ...], metadata_path: Path) -> list[tuple[Path, object]]:
    try:
        raw = load_metadata_json(metadata_path.read_text(encoding="utf-8-sig"))
    except InvalidMetadata as exc:
        # Parsed far enough to know it is no deposit: every file's outcome is `invalid`.
        return [(path, exc) for path in files]
    except (OSError, ValueError) as exc:
        raise click.UsageError(f"--metadata {metadata_path}: not readable JSON: {exc}") from None
    if isinstance(raw, dict):
        if len(files) != 1:
            raise click.UsageError(
                f"--metadata holds one object but {len(files)} files were given; "
                "give a list aligned with the files"
            )
        return [(files[0], raw)]
    if isinstance(raw, list):
        if len(raw) != len(files):
            raise click.UsageError(
                f"--metadata lists {len(raw)} objects for {len(files)} files; they must align"
            )
        return list(zip(files, raw, strict=True))
    raise click.UsageError("--metadata must hold a JSON object or a list of objects")


def _line(index: int, path: Path, meta: object, **fields: Any) -> str:
    result_code = meta.get("result_code") if isinstance(meta, dict) else None
    return json.dumps(
        {
            "index": index,
            "file": str(path),
            "result_code": result_code if isinstance(result_code, str) else None,
            **fields,
        },
        ensure_ascii=False,
    )


def _deposit_one(
    services: Services, access: Access, index: int, path: Path, meta: object
) -> tuple[str, bool]:
    """One input deposited: its JSON line, and whether its outcome is created or existing."""
    try:
        if isinstance(meta, KhoError):
            raise meta
        checked = services.deposit.check_metadata(meta)
        limit = services.settings.max_upload_bytes
        try:
            size = path.stat().st_size
            if size > limit:
                from kho.services.errors import PayloadTooLarge

                raise PayloadTooLarge(
                    f"{path} is {size} bytes; the limit is {services.settings.max_upload_mb} MB"
                )
            data = path.read_bytes()
        except FileNotFoundError:
            raise _FileMissing(f"{path}: no such file") from None
        except IsADirectoryError:
            raise _FileMissing(f"{path} is a folder") from None
        except PermissionError:
            raise _FileMissing(f"{path}: permission denied") from None
        outcome = services.deposit.deposit(data, path.name, checked, access)
        return (
            _line(
                index,
                path,
                meta,
                outcome=outcome.outcome,
                record_id=outcome.record["record_id"],
                problem=None,
                warnings=[w.to_json() for w in outcome.warnings],
                reusable=outcome.record["reusable"],
                reuse_blockers=outcome.record["reuse_blockers"],
            ),
            True,
        )
    except KhoError as exc:
        if exc.problem_type in CONFLICTS:
            kind = "conflict"
        elif exc.problem_type in _INVALID:
            kind = "invalid"
        else:
            kind = "failed"
        return (
            _line(
                index,
                path,
                meta,
                outcome=kind,
                record_id=exc.extra.get("record_id") if kind == "conflict" else None,
                problem=exc.problem(),
                warnings=[],
                reusable=None,
                reuse_blockers=[],
            ),
            False,
        )


# -- --jobs: deposits at once -------------------------------------------------------------


def _run_parallel(
    services: Services,
    inputs: list[tuple[Path, object]],
    jobs: int,
    access: Access,
    progress: Progress,
) -> bool:
    """The inputs deposited `jobs` at a time, on threads sharing this process's services
    (as `kho serve` serves requests), a few ahead; the lines printed in input order, each
    once its record is durable.

    Threads, not processes: a deposit spends most of its time waiting (on the validation
    and extraction workers, on fsync, on Elasticsearch and MinIO), and deposits in one
    process share one audit group commit, one index writer and one pool of validation
    and extraction workers (KHO_EXTRACT_WORKERS), which is what uses the other cores.
    Measured (BENCHMARKS.md): separate processes each with their own pools were no faster
    on two cores, and contended for the index and audit writers."""
    all_ok = True
    ahead = jobs * 2
    pending: deque[Future[tuple[str, bool]]] = deque()
    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="kho-ingest") as pool:
        for index, (path, meta) in enumerate(inputs):
            pending.append(pool.submit(_deposit_one, services, access, index, path, meta))
            while len(pending) > ahead or (pending and pending[0].done()):
                all_ok = _emit(pending.popleft(), progress) and all_ok
        while pending:
            all_ok = _emit(pending.popleft(), progress) and all_ok
    return all_ok


def _emit(item: Future[tuple[str, bool]], progress: Progress) -> bool:
    line, ok = item.result()
    click.echo(line)
    sys.stdout.flush()
    progress.step()
    return ok


@click.command()
@click.argument("files", nargs=-1, type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--metadata",
    "metadata_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="META.json: one object (one file) or a list aligned with the files.",
)
@click.option(
    "--batch",
    type=click.Path(path_type=Path, dir_okay=False),
    help="A CSV with one row per file: " + ",".join(BATCH_COLUMNS) + " (subjects as "
    "kind:id:name joined by ';'; files relative to the CSV).",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Deposit this many results at once (số hồ sơ nộp lưu đồng thời); the lines still "
    "come in input order. 4 on the embedded default, 16 on Elasticsearch + MinIO.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
@pass_context
def ingest(
    state: CliContext,
    files: tuple[Path, ...],
    metadata_path: Path | None,
    batch: Path | None,
    jobs: int,
    quiet: bool,
) -> int:
    """Deposit signed results (nộp lưu kết quả đã ký số).

    Prints one JSON line per input, in order, once that record is durable:
    {"index", "file", "result_code", "outcome", "record_id", "problem", "warnings",
    "reusable", "reuse_blockers"} with outcome created | existing | conflict | invalid |
    failed. `reusable` says whether the record may be reused today (null when there is
    none). `conflict` is other bytes under a result code already taken, or these bytes
    already archived under another (problem type duplicate-content; record_id names the
    holder). `warnings` are {"code", "message"}, e.g. subject_id_not_in_text. Goes on past
    a bad input; exits 0 if every outcome is created or existing, else 1.

    With --jobs N, N deposits run at once; the output is the same, in the same order
    (inputs that depend on each other, such as a result and one that supersedes it, go
    in one run with --jobs 1, or in two runs). Interrupted, a run can be
    repeated as it was: what was deposited comes back `existing`, never twice.
    """
    if batch is not None and (files or metadata_path is not None):
        raise click.UsageError("give either FILE... --metadata META.json, or --batch FILE.csv")
    if batch is not None:
        inputs: list[tuple[Path, object]] = list(_batch_inputs(batch))
    elif files and metadata_path is not None:
        inputs = _metadata_inputs(files, metadata_path)
    else:
        raise click.UsageError("give FILE... --metadata META.json, or --batch FILE.csv")

    services = state.services  # the settings and backends checked here, before any worker
    access = state.access()
    progress = Progress("ingest", len(inputs), quiet=quiet)
    if jobs > 1 and len(inputs) > 1:
        all_ok = _run_parallel(services, inputs, min(jobs, len(inputs)), access, progress)
    else:
        all_ok = True
        for index, (path, meta) in enumerate(inputs):
            line, ok = _deposit_one(services, access, index, path, meta)
            all_ok = all_ok and ok
            click.echo(line)
            sys.stdout.flush()
            progress.step()
    progress.finish()
    return 0 if all_ok else 1


def register(group: click.Group) -> None:
    group.add_command(ingest)
