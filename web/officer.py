"""The officer at the counter: one search box, a subject's results (reusable first, and why
the others are not), a record with its signature panel, its inline preview and download.

Thin: the services decide and audit (LookupService, SearchService, RecordService, each with
web_access: the user, the agency and the dossier code); web/words.py says the codes in
words. Every page that shows a subject's data asks for the dossier code first and shows
nothing without it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from html import unescape
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from markupsafe import Markup, escape

from kho.archive.identifiers import subject_kind_of
from kho.archive.status import Status
from kho.errors import KhoError
from kho.services import Services
from kho.services.errors import InvalidQuery
from kho.services.lookup import MAX_PAGE_SIZE
from kho.services.queries import LookupQuery, SearchQuery
from kho.services.views import reusable_first
from kho.web.i18n import gettext, lang_of
from kho.web.pages import check_record_id, error_page, int_param, page_links, render_page
from kho.web.reports import INDICATIONS, describe_indication
from kho.web.session import WebUser, dossier_code, require_roles, web_access
from kho.web.words import reuse_sentence, status_text

__all__ = ["OFFICER_ROLES", "router", "safe_highlight"]

router = APIRouter(include_in_schema=False)

# Who may look a citizen's results up: the officers, and the auditors and administrators
# who follow up on them. Every look is audited all the same.
OFFICER_ROLES = ("officer", "auditor", "admin")
Officer = Annotated[WebUser, Depends(require_roles(*OFFICER_ROLES))]

SEARCH_PAGE_SIZE = 20
# The search filters a facet link sets, each a query parameter of /search.
FILTERS = ("result_type", "procedure_code", "issuer_code", "status", "indication", "year")
FACET_TITLES = {
    "result_type": "Loại kết quả",
    "procedure_code": "Thủ tục",
    "issuer_code": "Cơ quan cấp",
    "year": "Năm cấp",
    "status": "Tình trạng",
    "indication": "Chữ ký số",
}


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def _dossier(request: Request) -> str | None:
    """The dossier code for this view (None: ask for it; a malformed `?dossier_code=` is
    None too, and the page says why)."""
    return dossier_code(request)


def _with_dossier(request: Request, path: str) -> str:
    """`path`, keeping a dossier code given in the query (not the session's) on the way."""
    given = request.query_params.get("dossier_code")
    return f"{path}?{urlencode({'dossier_code': given})}" if given else path


def safe_highlight(fragment: str) -> Markup:
    """A highlight fragment with only its <mark> tags kept: the index escapes the document's
    text, but the page trusts nothing from a deposit, so every piece between the tags is
    unescaped and escaped again here."""
    out = Markup("")
    for i, piece in enumerate(fragment.split("<mark>")):
        if i == 0:
            out += escape(unescape(piece))
            continue
        marked, _, rest = piece.partition("</mark>")
        out += Markup("<mark>") + escape(unescape(marked)) + Markup("</mark>")
        out += escape(unescape(rest))
    return out


def _item(record: dict[str, Any], request: Request) -> dict[str, Any]:
    """A record view with what its line on a page says."""

    def _(message: str) -> str:
        return gettext(request, message)

    signature = record.get("signature") or {}
    return {
        **record,
        "reuse_text": reuse_sentence(
            bool(record.get("reusable")), record.get("reuse_blockers") or [], _
        ),
        "status_text": status_text(record.get("status"), _),
        "indication": describe_indication(
            signature.get("indication"), signature.get("subindication")
        ),
        "names": ", ".join(s.get("name") or s.get("id", "") for s in record.get("subjects") or []),
    }


# -- search -----------------------------------------------------------------------------


@router.get("/search", response_class=HTMLResponse)
def search(request: Request, user: Officer, q: str = "") -> Response:
    q = q.strip()
    if q and subject_kind_of(q) is not None:
        return RedirectResponse(_with_dossier(request, f"/subjects/{q}"), status_code=303)
    params = request.query_params
    filters = {name: params.get(name) or None for name in FILTERS}
    context: dict[str, Any] = {
        "q": q,
        "filters": {k: v for k, v in filters.items() if v},
        "results": None,
        "facets": [],
        "pages": [],
        "total": 0,
        "needs_dossier": False,
    }
    if not q and not context["filters"]:
        return render_page(request, "officer/search.html", context)
    if _dossier(request) is None:
        context.update(needs_dossier=True)
        return render_page(request, "officer/search.html", context)
    page = int_param(params.get("page"), 1)
    size = int_param(params.get("page_size"), SEARCH_PAGE_SIZE, high=MAX_PAGE_SIZE)
    try:
        query = SearchQuery(
            q=q,
            result_type=filters["result_type"],
            procedure_code=filters["procedure_code"],
            issuer_code=filters["issuer_code"],
            status=_status(filters["status"]),
            indication=filters["indication"],
            issued_from=_year_day(filters["year"], first=True),
            issued_to=_year_day(filters["year"], first=False),
            page=page,
            page_size=size,
        )
        found = _services(request).search.search(query, web_access(request, user))
    except KhoError as exc:
        return error_page(request, exc, template="officer/search.html", context=context)
    results = []
    for hit in found.items:
        highlights = hit.get("highlights") or {}
        results.append(
            {
                **_item(hit["record"], request),
                "highlights": [
                    safe_highlight(fragment)
                    for fragments in highlights.values()
                    for fragment in fragments
                ][:3],
            }
        )
    context.update(
        results=results,
        total=_count_text(request, found.total, found.total_relation),
        facets=_facets(request, found.facets, results),
        pages=page_links(request, found.total, page, size),
    )
    return render_page(request, "officer/search.html", context)


def _count_text(request: Request, total: int, relation: str) -> str:
    """A search's total as shown: "ít nhất 2.000" (at least 2,000) when the search
    stopped counting (indexer.index.COUNT_BOUND), the number alone otherwise."""
    shown = f"{total:,}".replace(",", "." if lang_of(request) == "vi" else ",")
    if relation == "gte":
        return gettext(request, "ít nhất %(count)s") % {"count": shown}
    return shown


def _status(value: str | None) -> Status | None:
    if value is None:
        return None
    try:
        return Status(value)
    except ValueError:
        raise InvalidQuery(f"unknown status {value!r}", field="status") from None


def _year_day(value: str | None, *, first: bool) -> date | None:
    if value is None:
        return None
    if not (value.isdigit() and len(value) == 4 and value != "0000"):
        raise InvalidQuery("a year has four digits", field="year")
    return date(int(value), 1, 1) if first else date(int(value), 12, 31)


def _filter_url(request: Request, name: str, value: str | None) -> str:
    """This search with one filter set (or removed: None), from its first page."""
    items = [(k, v) for k, v in request.query_params.multi_items() if k not in (name, "page")]
    if value is not None:
        items.append((name, value))
    return "/search?" + urlencode(items)


def _facets(
    request: Request, facets: dict[str, list[dict[str, Any]]], results: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Each facet with its values as links that filter (or, when chosen, un-filter). The
    index counts result type, procedure, issuer and status; the year and the signature's
    indication are offered from the values on this page and the three indications."""

    def _(message: str) -> str:
        return gettext(request, message)

    chosen = request.query_params
    counted: dict[str, list[tuple[str, int | None]]] = {
        name: [(str(v["value"]), int(v["count"])) for v in values]
        for name, values in facets.items()
    }
    years = sorted({str(r.get("issued_on", ""))[:4] for r in results if r.get("issued_on")})
    counted["year"] = [(y, None) for y in reversed(years)]
    counted["indication"] = [(code, None) for code in INDICATIONS if code is not None]
    out = []
    for name in ("result_type", "procedure_code", "issuer_code", "year", "status", "indication"):
        values = counted.get(name) or []
        current = chosen.get(name)
        if current and current not in {v for v, _count in values}:
            values = [(current, None), *values]
        if not values:
            continue
        links = []
        for value, count in values:
            label_en = None
            if name == "status":
                label = status_text(value, _)
            elif name == "indication":
                label, label_en = INDICATIONS.get(value, ("", value, value))[1:]
            else:
                label = value
            on = current == value
            links.append(
                {
                    "label": label,
                    "label_en": label_en,
                    "count": count,
                    "on": on,
                    "url": _filter_url(request, name, None if on else value),
                }
            )
        out.append({"name": name, "title": _(FACET_TITLES[name]), "values": links})
    return out


# -- a subject's results -------------------------------------------------------------------


@router.get("/subjects/{subject_id}", response_class=HTMLResponse)
def subject(request: Request, user: Officer, subject_id: str) -> Response:
    context: dict[str, Any] = {
        "subject_id": subject_id,
        "results": None,
        "needs_dossier": False,
        "pages": [],
        "total": 0,
        "reusable_count": 0,
    }
    if subject_kind_of(subject_id) is None:
        return error_page(
            request,
            InvalidQuery(
                "a subject id is a 12-digit personal ID number or a 10/13-digit enterprise code"
            ),
        )
    if _dossier(request) is None:
        context.update(needs_dossier=True)
        return render_page(request, "officer/subject.html", context)
    page = int_param(request.query_params.get("page"), 1)
    try:
        found = _services(request).lookup.lookup(
            LookupQuery(
                subject_id=subject_id, include_invalid=True, page=page, page_size=MAX_PAGE_SIZE
            ),
            web_access(request, user),
        )
    except KhoError as exc:
        return error_page(request, exc, template="officer/subject.html", context=context)
    results = [_item(record, request) for record in reusable_first(found.items)]
    context.update(
        results=results,
        total=found.total,
        reusable_count=sum(1 for r in results if r.get("reusable")),
        pages=page_links(request, found.total, page, MAX_PAGE_SIZE),
    )
    return render_page(request, "officer/subject.html", context)


# -- a record --------------------------------------------------------------------------------


@router.get("/records/{record_id}", response_class=HTMLResponse)
def record(request: Request, user: Officer, record_id: str) -> Response:
    context: dict[str, Any] = {
        "record_id": record_id,
        "record": None,
        "needs_dossier": False,
    }
    if _dossier(request) is None:
        context.update(needs_dossier=True)
        return render_page(request, "officer/record.html", context)
    try:
        view = _services(request).records.get(check_record_id(record_id), web_access(request, user))
    except KhoError as exc:
        return error_page(request, exc)
    context.update(
        record=_item(view, request),
        preview_url=_with_dossier(request, f"/records/{record_id}/preview"),
        download_url=_with_dossier(request, f"/records/{record_id}/download"),
    )
    return render_page(request, "officer/record.html", context)


def content_disposition(kind: str, filename: str) -> str:
    """RFC 6266: an ASCII fallback and the Vietnamese name as `filename*`."""
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in filename)
    encoded = quote(filename, safe="")
    return f"{kind}; filename=\"{fallback or 'ket-qua.pdf'}\"; filename*=UTF-8''{encoded}"


def _content(request: Request, user: WebUser, record_id: str, kind: str) -> Response:
    if _dossier(request) is None:
        context = {"record_id": record_id, "record": None, "needs_dossier": True}
        return render_page(request, "officer/record.html", context, status_code=400)
    try:
        content = _services(request).records.content(
            check_record_id(record_id), web_access(request, user), detail={"web": kind}
        )
    except KhoError as exc:
        return error_page(request, exc)

    def chunks() -> Iterator[bytes]:
        yield from content.chunks

    return StreamingResponse(
        chunks(),
        media_type=content.media_type or "application/pdf",
        headers={
            "Content-Disposition": content_disposition(kind, content.filename),
            "Content-Length": str(content.size),
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get("/records/{record_id}/preview")
def preview(request: Request, user: Officer, record_id: str) -> Response:
    return _content(request, user, record_id, "inline")


@router.get("/records/{record_id}/download")
def download(request: Request, user: Officer, record_id: str) -> Response:
    return _content(request, user, record_id, "attachment")
