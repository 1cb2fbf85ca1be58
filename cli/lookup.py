"""`kho lookup` and `kho search`: the reuse lookup and full-text search from the console.

Both print the API's JSON (the body of `GET /api/v1/subjects/{id}/records` and
`GET /api/v1/search`) and are audited like the API, with the operator (`cli:<OS user>`) and
the dossier code. A refusal prints its problem+json on stdout and one line on stderr.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from typing import Any

import click

from kho.archive.identifiers import PURPOSE_CODE
from kho.archive.signatures import Indication
from kho.archive.status import Status
from kho.cli.main import EXIT_UNAVAILABLE, EXIT_USAGE, CliContext, pass_context
from kho.errors import KhoError
from kho.services import LookupQuery, SearchQuery
from kho.services.views import lookup_body, search_body

__all__ = ["register"]

# Refusals that mean the arguments were wrong: a usage error of the command.
_USAGE_PROBLEMS = frozenset({"invalid-query", "missing-purpose"})


def _day(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        message = f"{value!r} is not a date written YYYY-MM-DD"
        raise click.BadParameter(message, ctx, param) from None


def _dossier_code(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not PURPOSE_CODE.fullmatch(value):
        raise click.BadParameter(
            "1-64 letters, digits, '.' or '-', e.g. 000.00.15.H62-261122-0007", ctx, param
        )
    return value


_INDICATIONS = click.Choice([i.value for i in Indication])


def _print(body: dict[str, Any]) -> None:
    indent = 2 if sys.stdout.isatty() else None
    click.echo(json.dumps(body, ensure_ascii=False, indent=indent))


def _refused(exc: KhoError) -> int:
    """Print the problem as the API would answer it; the exit code says what kind."""
    _print(exc.problem())
    click.echo(f"kho: {exc.detail}", err=True)
    if exc.problem_type == "backend-unavailable":
        return EXIT_UNAVAILABLE
    return EXIT_USAGE if exc.problem_type in _USAGE_PROBLEMS else 1


def _paging(function: Any) -> Any:
    function = click.option(
        "--page-size",
        type=click.IntRange(1, 100),
        default=20,
        show_default=True,
        help="Items per page (at most 100).",
    )(function)
    return click.option(
        "--page", type=click.IntRange(1, 100_000), default=1, show_default=True, help="From 1."
    )(function)


@click.command()
@click.argument("subject_id")
@click.option(
    "--dossier-code",
    required=True,
    callback=_dossier_code,
    metavar="CODE",
    help="The dossier being processed (mã hồ sơ): the purpose of this lookup, recorded in "
    "the audit trail.",
)
@click.option(
    "--valid-on",
    callback=_day,
    metavar="YYYY-MM-DD",
    help="The day the results must be reusable on (default: today in KHO_TIMEZONE).",
)
@click.option(
    "--include-invalid",
    is_flag=True,
    help="Also list results that may not be reused (expired, revoked, superseded, not yet "
    "valid, not validly signed), with reusable: false and their reuse_blockers.",
)
@click.option("--procedure-code", metavar="CODE", help="Only this procedure (mã TTHC).")
@click.option("--result-type", metavar="TEXT", help='Only this result type, e.g. "Giấy khai sinh".')
@click.option("--indication", type=_INDICATIONS, help="Only this signature verdict.")
@_paging
@pass_context
def lookup(
    state: CliContext,
    subject_id: str,
    dossier_code: str,
    valid_on: date | None,
    include_invalid: bool,
    procedure_code: str | None,
    result_type: str | None,
    indication: str | None,
    page: int,
    page_size: int,
) -> int:
    """Reuse lookup (tra cứu kết quả để tái sử dụng): a subject's reusable results.

    SUBJECT_ID is a 12-digit personal ID number (số định danh cá nhân) or a 10/13-digit
    enterprise code (mã số doanh nghiệp). Lists the results that may be reused on the day:
    valid then and validly signed (TOTAL-PASSED, or any indication under
    KHO_REUSE_SIGNATURE=any), newest first. Prints the JSON of
    GET /api/v1/subjects/SUBJECT_ID/records; audited with your OS user and the dossier code.

    Exit 0 (even when nothing is found), 64 bad arguments, 69 the index is down.
    """
    services = state.services
    query = LookupQuery(
        subject_id=subject_id,
        valid_on=valid_on,
        procedure_code=procedure_code,
        result_type=result_type,
        indication=indication,
        include_invalid=include_invalid,
        page=page,
        page_size=page_size,
    )
    try:
        result = services.lookup.lookup(query, state.access(dossier_code))
    except KhoError as exc:
        return _refused(exc)
    _print(lookup_body(result))
    return 0


@click.command()
@click.argument("q", default="")
@click.option(
    "--dossier-code",
    callback=_dossier_code,
    metavar="CODE",
    help="The dossier being processed (mã hồ sơ), recorded in the audit trail.",
)
@click.option("--procedure-code", metavar="CODE", help="Only this procedure (mã TTHC).")
@click.option("--result-type", metavar="TEXT", help="Only this result type.")
@click.option("--issuer-code", metavar="CODE", help="Only results of this agency (mã cơ quan).")
@click.option("--subject-id", metavar="ID", help="Only results of this subject.")
@click.option(
    "--issued-from", callback=_day, metavar="YYYY-MM-DD", help="Issued on or after this day."
)
@click.option(
    "--issued-to", callback=_day, metavar="YYYY-MM-DD", help="Issued on or before this day."
)
@click.option(
    "--status", type=click.Choice([s.value for s in Status]), help="Only this status today."
)
@click.option("--indication", type=_INDICATIONS, help="Only this signature verdict.")
@_paging
@pass_context
def search(
    state: CliContext,
    q: str,
    dossier_code: str | None,
    procedure_code: str | None,
    result_type: str | None,
    issuer_code: str | None,
    subject_id: str | None,
    issued_from: date | None,
    issued_to: date | None,
    status: str | None,
    indication: str | None,
    page: int,
    page_size: int,
) -> int:
    """Full-text search (tìm kiếm toàn văn) over every result, reusable or not.

    Every word of Q is required and matches with or without diacritics ("tran van duc"
    finds "Trần Văn Đức"); an empty Q lists by the filters alone. Each item carries
    status, reusable and reuse_blockers for today. Prints the JSON of GET /api/v1/search,
    with facets; audited with your OS user and the dossier code (if given).

    Exit 0 (even when nothing is found), 64 bad arguments, 69 the index is down.
    """
    services = state.services
    query = SearchQuery(
        q=q,
        procedure_code=procedure_code,
        result_type=result_type,
        issuer_code=issuer_code,
        subject_id=subject_id,
        issued_from=issued_from,
        issued_to=issued_to,
        status=Status(status) if status else None,
        indication=indication,
        page=page,
        page_size=page_size,
    )
    try:
        result = services.search.search(query, state.access(dossier_code))
    except KhoError as exc:
        return _refused(exc)
    _print(search_body(result))
    return 0


def register(group: click.Group) -> None:
    group.add_command(lookup)
    group.add_command(search)
