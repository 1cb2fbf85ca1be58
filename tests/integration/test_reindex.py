"""`kho reindex` rebuilds the Elasticsearch index from MinIO alone: wipe it, rebuild it, and
every lookup and search answers as before."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from support.backends import remove_indices

from kho.archive.status import Status
from kho.services import Access, Services
from kho.services.queries import LookupQuery, SearchQuery
from kho.settings import Settings

pytestmark = pytest.mark.integration

SYSTEM = Access.system(purpose="000.00.15.H62-261123-0001")
DUC = "001203001234"
LAN = "079188001122"


def answers(services: Services) -> dict[str, Any]:
    """What agencies and officers would be told, without the engine's raw scores."""
    today = services.backends.today()

    def page(result: Any) -> dict[str, Any]:
        return {
            "total": result.total,
            "items": [
                {k: v for k, v in item.items() if k != "score"} if "record" in item else item
                for item in result.items
            ],
            "facets": result.facets,
        }

    lookups = {
        "duc valid": LookupQuery(subject_id=DUC, valid_on=today),
        "duc all": LookupQuery(subject_id=DUC, valid_on=today, include_invalid=True),
        "lan": LookupQuery(subject_id=LAN, valid_on=today),
        "duc births": LookupQuery(subject_id=DUC, valid_on=today, result_type="Giấy khai sinh"),
    }
    searches = {
        "folded name": SearchQuery(today=today, q="tran van duc"),
        "exact land": SearchQuery(today=today, q="quyền sử dụng đất"),
        "everything": SearchQuery(today=today),
        "expired": SearchQuery(today=today, status=Status.expired),
        "revoked": SearchQuery(today=today, status=Status.revoked),
    }
    out: dict[str, Any] = {}
    for name, lookup in lookups.items():
        out[f"lookup {name}"] = page(services.lookup.lookup(lookup, SYSTEM))
    for name, search in searches.items():
        out[f"search {name}"] = page(services.search.search(search, SYSTEM))
    return out


def test_wiping_the_index_then_reindexing_gives_the_same_answers(
    services: Services,
    settings: Settings,
    signed_pdf: Callable[..., bytes],
    metadata: Callable[..., dict[str, Any]],
) -> None:
    today = services.backends.today()
    deposits = [
        (signed_pdf("GIẤY KHAI SINH", ("Họ tên", "Trần Văn Đức")), metadata()),
        (
            signed_pdf("GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT", ("Người sử dụng đất", "Trần Văn Đức")),
            metadata(result_type="Giấy chứng nhận quyền sử dụng đất", procedure_code="1.012756"),
        ),
        (
            signed_pdf("PHIẾU LÝ LỊCH TƯ PHÁP", ("Họ tên", "Trần Văn Đức")),
            metadata(
                result_type="Phiếu lý lịch tư pháp",
                procedure_code="2.001417",
                valid_until=(today - timedelta(days=2)).isoformat(),
            ),
        ),
        (
            signed_pdf("GIẤY KHAI SINH", ("Họ tên", "Phạm Thị Lan")),
            metadata(subjects=[{"kind": "citizen", "id": LAN, "name": "Phạm Thị Lan"}]),
        ),
    ]
    record_ids = []
    for n, (pdf, meta) in enumerate(deposits):
        outcome = services.deposit.deposit(pdf, f"result-{n}.pdf", meta, SYSTEM)
        assert outcome.indexed
        record_ids.append(outcome.record["record_id"])
    # a later manifest version: the rebuilt index must carry it, not the first one
    services.lifecycle.revoke(record_ids[0], "cấp sai thông tin", SYSTEM)

    before = answers(services)
    assert before["lookup duc valid"]["total"] == 1  # the land certificate
    assert before["search folded name"]["total"] == 3
    assert before["search revoked"]["total"] == 1

    remove_indices(settings)
    index = services.backends.index
    assert index.count() == 0  # the alias comes back, empty
    assert answers(services) != before

    assert services.indexing.reindex() == len(deposits)
    assert answers(services) == before
    assert index.count() == len(deposits)
