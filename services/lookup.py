"""The reuse lookup and full-text search, answered from the index, each access audited."""

from __future__ import annotations

from dataclasses import replace

from kho.archive.identifiers import subject_kind_of
from kho.indexer import index
from kho.metrics import LOOKUPS
from kho.services.access import Access, require_purpose
from kho.services.audit import AuditService
from kho.services.base import Backends
from kho.services.errors import AccessDenied, InvalidQuery
from kho.services.paging import MAX_PAGE_SIZE, Page
from kho.services.paging import check_paging as _check_paging
from kho.services.queries import LookupQuery, SearchQuery
from kho.services.views import hit_view

__all__ = ["MAX_PAGE_SIZE", "LookupQuery", "LookupService", "Page", "SearchQuery", "SearchService"]


class LookupService:
    def __init__(self, backends: Backends, audit: AuditService) -> None:
        self.b = backends
        self.audit = audit

    def lookup(self, query: LookupQuery, access: Access) -> Page:
        require_purpose(access)
        if subject_kind_of(query.subject_id) is None:
            raise InvalidQuery(
                "a subject id is a 12-digit personal ID number or a 10/13-digit enterprise code",
                field="subject_id",
            )
        _check_paging(query.page, query.page_size)
        policy = self.b.settings.reuse_signature
        valid_on = query.valid_on or self.b.today()
        result = self.b.index.lookup(
            index.LookupQuery(
                subject_id=query.subject_id,
                valid_on=valid_on,
                procedure_code=query.procedure_code,
                result_type=query.result_type,
                indication=_plain(query.indication),
                include_invalid=query.include_invalid,
                signature_policy=policy,
                allowed_procedure_codes=access.allowed_procedure_codes,
                allowed_result_types=access.allowed_result_types,
                page=query.page,
                page_size=query.page_size,
            )
        )
        items = [hit_view(hit, valid_on, policy) for hit in result.hits]
        self.audit.record(
            "lookup",
            access,
            record_ids=[h.record_id for h in result.hits],
            subject_ids=[query.subject_id],
            detail={
                "valid_on": valid_on.isoformat(),
                "procedure_code": query.procedure_code,
                "result_type": query.result_type,
                "indication": _plain(query.indication),
                "include_invalid": query.include_invalid,
                "reuse_signature": policy.value,
                "total": result.total,
                "reusable": sum(1 for item in items if item["reusable"]),
            },
        )
        LOOKUPS.labels(found="yes" if result.total else "no").inc()
        return Page(items=items, total=result.total, page=query.page, page_size=query.page_size)


class SearchService:
    def __init__(self, backends: Backends, audit: AuditService) -> None:
        self.b = backends
        self.audit = audit

    def search(self, query: SearchQuery, access: Access) -> Page:
        if not access.console:
            require_purpose(access)
        _check_paging(query.page, query.page_size)
        if len(query.q) > 500:
            raise InvalidQuery("the query is longer than 500 characters", field="q")
        if (
            query.issued_from is not None
            and query.issued_to is not None
            and query.issued_from > query.issued_to
        ):
            raise InvalidQuery("issued_from is after issued_to", field="issued_from")
        asked = _within_limits(
            index.SearchQuery(
                today=query.today or self.b.today(),
                q=query.q,
                procedure_code=query.procedure_code,
                result_type=query.result_type,
                indication=_plain(query.indication),
                issuer_code=query.issuer_code,
                subject_id=query.subject_id,
                issued_from=query.issued_from,
                issued_to=query.issued_to,
                status=query.status,
                page=query.page,
                page_size=query.page_size,
            ),
            access,
        )
        result = self.b.index.search(asked)
        items = [
            {
                "record": hit_view(hit, asked.today, self.b.settings.reuse_signature),
                "highlights": dict(hit.highlights),
                "score": hit.score,
            }
            for hit in result.hits
        ]
        subject_ids = sorted(
            {s["id"] for hit in result.hits for s in hit.record.get("subjects", [])}
        )
        self.audit.record(
            "search",
            access,
            record_ids=[h.record_id for h in result.hits],
            subject_ids=subject_ids,
            detail={
                "q": query.q,
                "total": result.total,
                **({"console": True} if access.console else {}),
            },
        )
        facets = {
            name: [{"value": value, "count": count} for value, count in values]
            for name, values in result.facets.items()
        }
        return Page(
            items=items,
            total=result.total,
            page=query.page,
            page_size=query.page_size,
            facets=facets,
            total_relation=result.total_relation,
        )


def _plain(indication: str | None) -> str | None:
    """An indication as plain text (the API and the CLI may pass the Indication enum)."""
    return None if indication is None else str(indication)


def _within_limits(query: index.SearchQuery, access: Access) -> index.SearchQuery:
    """A search by a key limited to some procedures or result types must stay inside them:
    the one allowed value is applied for the caller, among several it must name one."""
    for name, allowed in (
        ("procedure_code", access.allowed_procedure_codes),
        ("result_type", access.allowed_result_types),
    ):
        if allowed is None:
            continue
        given = getattr(query, name)
        if given is None and len(allowed) == 1:
            only = next(iter(allowed))
            if name == "procedure_code":
                query = replace(query, procedure_code=only)
            else:
                query = replace(query, result_type=only)
        elif given is None or given not in allowed:
            raise AccessDenied(
                f"this API key may search only {name} in {sorted(allowed)}; give {name}",
                field=name,
            )
    return query
