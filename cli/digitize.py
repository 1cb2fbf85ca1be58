"""`kho digitize`: scanned paper results in, signed searchable records out; one JSON line
per result on stdout as for `kho ingest`, plus `review`.

A batch is resumable and idempotent: run it again after a crash and every result already
deposited answers `existing` (before any OCR), the rest are done. Progress and, at the end,
a summary of what needs review go to stderr.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from kho.cli.ingest import BATCH_COLUMNS, _parse_subjects
from kho.cli.main import CliContext, pass_context
from kho.cli.progress import Progress
from kho.digitization.errors import SigningNotConfigured
from kho.errors import KhoError
from kho.services import Access, Services
from kho.services.deposit import refusal_kind
from kho.settings import SettingsError

__all__ = ["register"]


class _InputProblem(KhoError):
    problem_type = "invalid-metadata"
    title = "Invalid input"


class _FileMissing(KhoError):
    problem_type = "file-not-found"
    title = "File not found"


@dataclass
class _Job:
    index: int
    files: list[Path]
    meta: dict[str, Any] | KhoError


def _read(paths: list[Path], limit: int) -> list[tuple[str, bytes]]:
    scans = []
    for path in paths:
        try:
            if path.stat().st_size > limit:
                from kho.services.errors import PayloadTooLarge

                raise PayloadTooLarge(f"{path} is over the limit of {limit // 1048576} MB")
            scans.append((path.name, path.read_bytes()))
        except FileNotFoundError:
            raise _FileMissing(f"{path}: no such file") from None
        except IsADirectoryError:
            raise _FileMissing(f"{path} is a folder") from None
        except PermissionError:
            raise _FileMissing(f"{path}: permission denied") from None
    return scans


def _batch_jobs(batch: Path) -> Iterator[_Job]:
    try:
        handle = batch.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise click.UsageError(f"cannot read {batch}: {exc.strerror}") from None
    with handle:
        reader = csv.DictReader(handle)
        if "file" not in (reader.fieldnames or []):
            raise click.UsageError(
                f"{batch}: the header needs `file` (pages joined by ';'), and any of "
                + ",".join(BATCH_COLUMNS[1:])
            )
        for index, row in enumerate(reader):
            extra = row.pop(None, None)  # type: ignore[call-overload,unused-ignore]
            files = [
                batch.parent / p.strip() for p in (row.get("file") or "").split(";") if p.strip()
            ]
            meta: dict[str, Any] | KhoError = {}
            try:
                if extra:
                    raise _InputProblem("the row has more fields than the header")
                if not files:
                    raise _InputProblem("the row names no file")
                values: dict[str, Any] = {}
                for column in BATCH_COLUMNS[1:]:
                    value = (row.get(column) or "").strip()
                    if value:
                        values[column] = _parse_subjects(value) if column == "subjects" else value
                meta = values
            except _InputProblem as exc:
                meta = exc
            yield _Job(index, files, meta)


def _file_jobs(files: tuple[Path, ...], metadata: Path | None, pages: bool) -> list[_Job]:
    groups = [list(files)] if pages else [[f] for f in files]
    if metadata is None:
        return [_Job(i, g, {}) for i, g in enumerate(groups)]
    try:
        raw = json.loads(metadata.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise click.UsageError(f"--metadata {metadata}: not readable JSON: {exc}") from None
    if isinstance(raw, dict):
        if len(groups) != 1:
            raise click.UsageError(
                f"--metadata holds one object for {len(groups)} results; give a list, "
                "or --pages if the files are the pages of one result"
            )
        return [_Job(0, groups[0], raw)]
    if isinstance(raw, list) and len(raw) == len(groups):
        return [
            _Job(i, g, m if isinstance(m, dict) else _InputProblem("metadata must be an object"))
            for i, (g, m) in enumerate(zip(groups, raw, strict=True))
        ]
    raise click.UsageError("--metadata must hold one object, or a list aligned with the results")


def _kind(exc: KhoError) -> str:
    return refusal_kind(exc)


def _run(
    services: Services, job: _Job, access: Access, *, accept: bool, propose: bool, ocr_jobs: int
) -> dict[str, Any]:
    meta = job.meta if isinstance(job.meta, dict) else {}
    line: dict[str, Any] = {
        "index": job.index,
        "file": ";".join(str(f) for f in job.files),
        "result_code": meta.get("result_code")
        if isinstance(meta.get("result_code"), str)
        else None,
    }
    try:
        if isinstance(job.meta, KhoError):
            raise job.meta
        scans = _read(job.files, services.settings.max_upload_bytes)
        if propose:
            proposed = services.digitize.propose(scans, ocr_jobs=ocr_jobs)
            body = proposed.to_json()
            # What the batch row gives is settled; the rest is for the officer to confirm.
            body["review"] = [
                r for r in body["review"] if r["field"] is None or r["field"] not in meta
            ]
            body["metadata"] = {**proposed.proposal.values(), **meta}
            return {"index": job.index, "file": line["file"], **body}
        outcome = services.digitize.digitize(
            scans, meta, access, accept_proposals=accept, ocr_jobs=ocr_jobs
        )
        line.update(
            result_code=outcome.record["result_code"],
            outcome=outcome.outcome,
            record_id=outcome.record["record_id"],
            problem=None,
            warnings=[w.to_json() for w in outcome.warnings],
            review=[r.to_json() for r in outcome.review],
        )
    except KhoError as exc:
        kind = _kind(exc)
        problem = exc.problem()
        review = problem.pop("review", [])
        if propose:
            return {
                "index": job.index,
                "file": line["file"],
                "fields": {},
                "review": review,
                "problem": problem,
            }
        line.update(
            outcome=kind,
            record_id=exc.extra.get("record_id") if kind == "conflict" else None,
            problem=problem,
            warnings=[],
            review=review,
        )
    return line


def _summary(counts: Counter[str], to_review: list[tuple[str, int]], quiet: bool) -> None:
    if quiet:
        return
    parts = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
    click.echo(f"digitize: {parts or 'nothing to do'}", err=True)
    if to_review:
        click.echo(f"cần xem lại (needs review): {len(to_review)} kết quả", err=True)
        for name, entries in to_review[:50]:
            click.echo(f"  {name}: {entries} mục", err=True)
        if len(to_review) > 50:
            click.echo(f"  … và {len(to_review) - 50} kết quả khác (see the JSON lines)", err=True)


@click.command()
@click.argument("files", nargs=-1, type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--metadata",
    "metadata_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="META.json confirmed by the officer: one object, or a list aligned with the results.",
)
@click.option("--pages", is_flag=True, help="All FILEs are the pages of one result.")
@click.option(
    "--batch",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The ingest CSV (columns as for `kho ingest --batch`, all optional but `file`), "
    "`file` holding a result's pages joined by ';', relative to the CSV.",
)
@click.option(
    "--propose",
    is_flag=True,
    help="Only OCR and propose the metadata: deposits "
    "nothing, needs no signing key; prints {fields, review, metadata} per result.",
)
@click.option(
    "--accept-proposals",
    is_flag=True,
    help="Deposit with the proposed values "
    "where the metadata gives none (unreviewed: the batch says so).",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(1, 64),
    default=None,
    help="Results done at once (default: every core).",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress or summary on stderr.")
@pass_context
def digitize(
    state: CliContext,
    files: tuple[Path, ...],
    metadata_path: Path | None,
    pages: bool,
    batch: Path | None,
    propose: bool,
    accept_proposals: bool,
    jobs: int | None,
    quiet: bool,
) -> int:
    """Digitize paper results (số hóa kết quả giấy): OCR in Vietnamese into a searchable
    PDF/A-2b, signed with the agency's key (KHO_SIGNING_*), deposited with origin
    `digitized`.

    One JSON line per result, in order, once it is durable: as `kho ingest`
    ({"index", "file", "result_code", "outcome", "record_id", "problem"}) plus "review":
    the pages and fields to check. Exit 0 if every outcome is created or existing, 1
    otherwise, 78 when no signing key is configured.
    """
    if batch is not None and (files or metadata_path is not None or pages):
        raise click.UsageError("give either FILE... [--metadata META.json] [--pages], or --batch")
    if batch is None and not files:
        raise click.UsageError("give FILE... (scans) or --batch FILE.csv")
    job_list = list(_batch_jobs(batch)) if batch else _file_jobs(files, metadata_path, pages)
    services = state.services
    if not propose:
        try:
            services.digitize.check_signing()
            services.digitize.signer()
        except SigningNotConfigured as exc:
            raise SettingsError(exc.detail) from None
    workers = min(jobs or os.cpu_count() or 1, max(1, len(job_list)))
    ocr_jobs = max(1, (jobs or os.cpu_count() or 1) // workers)
    access = state.access()
    progress = Progress("digitize", len(job_list), quiet=quiet)
    counts: Counter[str] = Counter()
    to_review: list[tuple[str, int]] = []
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending: list[Future[dict[str, Any]]] = []
        queue = iter(job_list)

        def submit() -> None:
            job = next(queue, None)
            if job is not None:
                pending.append(
                    pool.submit(
                        _run,
                        services,
                        job,
                        access,
                        accept=accept_proposals,
                        propose=propose,
                        ocr_jobs=ocr_jobs,
                    )
                )

        for _ in range(workers * 2):
            submit()
        while pending:
            line = pending.pop(0).result()  # in input order
            submit()
            click.echo(json.dumps(line, ensure_ascii=False))
            sys.stdout.flush()
            if propose:
                counts["invalid" if line.get("problem") else "proposed"] += 1
            else:
                counts[line["outcome"]] += 1
            if line.get("review"):
                to_review.append((line["file"], len(line["review"])))
            progress.step()
    progress.finish()
    _summary(counts, to_review, quiet)
    ok = all(k in ("created", "existing", "proposed") for k in counts)
    return 0 if ok else 1


def register(group: click.Group) -> None:
    group.add_command(digitize)
