"""The SearchIndex contract: the embedded engine and Elasticsearch answer alike."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from ulid import ULID

from kho.archive.reuse import SignaturePolicy, reuse_on
from kho.archive.status import Status, Validity
from kho.indexer.index import IndexDocument, LookupQuery, SearchIndex, SearchQuery
from kho.settings import Settings
from kho.wiring import build_index

D = date(2026, 6, 1)
DUC = "001203001234"
LAN = "079188001122"
COMPANY = "0101234565"


def doc(
    *,
    subject_ids: tuple[str, ...] = (DUC,),
    names: tuple[str, ...] = ("Trần Văn Đức",),
    result_type: str = "Giấy khai sinh",
    procedure_code: str = "1.001193",
    procedure_name: str = "Thủ tục đăng ký khai sinh",
    issuer_code: str = "000.00.15.H62",
    issued_on: date = date(2026, 1, 10),
    valid_from: date | None = None,
    valid_until: date | None = None,
    revoked_on: date | None = None,
    superseded_on: date | None = None,
    disposed: bool = False,
    text: str = "",
    version: int = 1,
    record_id: str | None = None,
    indication: str | None = "TOTAL-PASSED",
) -> IndexDocument:
    rid = record_id or str(ULID())
    record: dict[str, Any] = {
        "record_id": rid,
        "result_type": result_type,
        "procedure_name": procedure_name,
        "subjects": [
            {"kind": "citizen", "id": s, "name": n} for s, n in zip(subject_ids, names, strict=True)
        ],
        "version": version,
    }
    return IndexDocument(
        record_id=rid,
        version=version,
        issuer_code=issuer_code,
        result_code=f"{issuer_code}-{rid[-6:]}",
        dossier_code=None,
        procedure_code=procedure_code,
        procedure_name=procedure_name,
        result_type=result_type,
        subject_ids=subject_ids,
        subject_names=names,
        issued_on=issued_on,
        validity=Validity(
            valid_from=valid_from or issued_on,
            valid_until=valid_until,
            revoked_on=revoked_on,
            superseded_on=superseded_on,
            disposed=disposed,
        ),
        indication=indication,
        deposited_at=datetime(2026, 1, 11, tzinfo=UTC),
        text=text,
        record=record,
    )


@pytest.fixture
def index(settings: Settings) -> Iterator[SearchIndex]:
    built = build_index(settings)
    try:
        yield built
    finally:
        built.close()


def ids(page: Any) -> set[str]:
    return {hit.record_id for hit in page.hits}


def test_an_upserted_document_is_found_at_once(index: SearchIndex) -> None:
    d = doc()
    index.upsert([d])
    hit = index.get(d.record_id)
    assert hit is not None
    assert hit.record["record_id"] == d.record_id
    assert hit.validity == d.validity
    assert index.get(str(ULID())) is None


def test_lookup_returns_exactly_the_results_valid_on_the_day(index: SearchIndex) -> None:
    valid = doc(valid_until=date(2026, 12, 31))
    open_ended = doc()
    last_day = doc(valid_until=D)
    expired = doc(valid_until=date(2026, 5, 31))
    future = doc(valid_from=date(2026, 6, 2))
    revoked_today = doc(revoked_on=D)
    revoked_later = doc(revoked_on=date(2026, 6, 2))
    superseded = doc(superseded_on=date(2026, 3, 1))
    disposed = doc(disposed=True)
    someone_else = doc(subject_ids=(LAN,), names=("Phạm Thị Lan",))
    everything = [
        valid,
        open_ended,
        last_day,
        expired,
        future,
        revoked_today,
        revoked_later,
        superseded,
        disposed,
        someone_else,
    ]
    index.upsert(everything)

    page = index.lookup(LookupQuery(subject_id=DUC, valid_on=D))
    assert ids(page) == {
        valid.record_id,
        open_ended.record_id,
        last_day.record_id,
        revoked_later.record_id,
    }
    assert page.total == 4

    all_of_duc = index.lookup(LookupQuery(subject_id=DUC, valid_on=D, include_invalid=True))
    assert all_of_duc.total == 9
    assert someone_else.record_id not in ids(all_of_duc)


def test_lookup_filters_by_procedure_and_result_type_exactly(index: SearchIndex) -> None:
    birth = doc()
    marriage = doc(result_type="Giấy xác nhận tình trạng hôn nhân", procedure_code="1.004873")
    index.upsert([birth, marriage])
    by_type = index.lookup(
        LookupQuery(subject_id=DUC, valid_on=D, result_type="Giấy xác nhận tình trạng hôn nhân")
    )
    assert ids(by_type) == {marriage.record_id}
    assert ids(
        index.lookup(LookupQuery(subject_id=DUC, valid_on=D, procedure_code="1.001193"))
    ) == {birth.record_id}
    # exact: no folding, no partial match on keywords
    assert (
        index.lookup(LookupQuery(subject_id=DUC, valid_on=D, result_type="giay khai sinh")).total
        == 0
    )
    assert index.lookup(LookupQuery(subject_id="00120300123", valid_on=D)).total == 0


def test_lookup_honours_an_agency_keys_limits(index: SearchIndex) -> None:
    birth = doc()
    land = doc(result_type="Giấy chứng nhận quyền sử dụng đất", procedure_code="1.012756")
    index.upsert([birth, land])
    limited = index.lookup(
        LookupQuery(subject_id=DUC, valid_on=D, allowed_procedure_codes=frozenset({"1.012756"}))
    )
    assert ids(limited) == {land.record_id}
    nothing = index.lookup(
        LookupQuery(subject_id=DUC, valid_on=D, allowed_result_types=frozenset())
    )
    assert nothing.total == 0


def test_lookup_pages_are_stable_and_newest_first(index: SearchIndex) -> None:
    docs = [doc(issued_on=date(2026, 1, day)) for day in range(1, 26)]
    index.upsert(docs)
    seen: list[str] = []
    for page_no in (1, 2, 3):
        page = index.lookup(LookupQuery(subject_id=DUC, valid_on=D, page=page_no, page_size=10))
        assert page.total == 25
        seen.extend(hit.record_id for hit in page.hits)
    assert len(seen) == 25 and len(set(seen)) == 25
    expected = [
        d.record_id for d in sorted(docs, key=lambda d: (-d.issued_on.toordinal(), d.record_id))
    ]
    assert seen == expected


def test_enterprise_codes_are_looked_up_like_personal_ids(index: SearchIndex) -> None:
    company = doc(subject_ids=(COMPANY,), names=("Công ty TNHH Sông Hồng",))
    branch = doc(subject_ids=(f"{COMPANY}-001",), names=("Chi nhánh Sông Hồng",))
    index.upsert([company, branch])
    assert ids(index.lookup(LookupQuery(subject_id=COMPANY, valid_on=D))) == {company.record_id}
    assert ids(index.lookup(LookupQuery(subject_id=f"{COMPANY}-001", valid_on=D))) == {
        branch.record_id
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("tran van duc", "duc"),
        ("Trần Văn Đức", "duc"),
        ("TRAN VAN DUC", "duc"),
        ("dat", "land"),
        ("đất", "land"),
        ("quyen su dung dat", "land"),
        ("Nguyen Thi Anh", "anh"),
    ],
)
def test_search_without_diacritics_finds_text_with_them(
    index: SearchIndex, query: str, expected: str
) -> None:
    docs = {
        "duc": doc(text="Họ và tên: TRẦN VĂN ĐỨC, sinh năm 2003"),
        "land": doc(
            subject_ids=(LAN,),
            names=("Phạm Thị Lan",),
            result_type="Giấy chứng nhận quyền sử dụng đất",
            text="Thửa đất số 128, mục đích sử dụng: đất ở",
        ),
        "anh": doc(subject_ids=(LAN,), names=("Nguyễn Thị Ánh",), text="Bản sao trích lục"),
    }
    index.upsert(list(docs.values()))
    result = index.search(SearchQuery(today=D, q=query))
    assert docs[expected].record_id in ids(result)
    assert result.total == len(result.hits)


def test_search_requires_every_word(index: SearchIndex) -> None:
    a = doc(text="Trần Văn Đức")
    b = doc(names=("Trần Thị Mai",), text="Trần Thị Mai")
    index.upsert([a, b])
    assert ids(index.search(SearchQuery(today=D, q="tran duc"))) == {a.record_id}
    assert ids(index.search(SearchQuery(today=D, q="tran"))) == {a.record_id, b.record_id}
    assert index.search(SearchQuery(today=D, q="tran nobody")).total == 0


def test_exact_forms_rank_before_folded_ones(index: SearchIndex) -> None:
    # "Đường" and "Dương" both fold to "duong"
    folded_only = doc(names=("Lê Minh",), text="Đường số 5, phường Tân Định")
    exact = doc(names=("Lê Minh",), text="Ông Dương Văn Minh")
    index.upsert([folded_only, exact])
    result = index.search(SearchQuery(today=D, q="Dương"))
    assert [h.record_id for h in result.hits] == [exact.record_id, folded_only.record_id]
    assert result.hits[0].score > result.hits[1].score


def test_search_highlights_the_original_words(index: SearchIndex) -> None:
    d = doc(text="Họ và tên: Trần Văn Đức. <b>không phải HTML</b>")
    index.upsert([d])
    hit = index.search(SearchQuery(today=D, q="tran van duc")).hits[0]
    assert "<mark>Trần</mark> <mark>Văn</mark> <mark>Đức</mark>" in hit.highlights["text"][0]
    assert "&lt;b&gt;" in hit.highlights["text"][0]
    assert "<mark>Trần</mark>" in hit.highlights["subjects"][0]


def test_search_filters_and_date_ranges(index: SearchIndex) -> None:
    jan = doc(issued_on=date(2026, 1, 5), text="khai sinh")
    mar = doc(issued_on=date(2026, 3, 5), text="khai sinh", issuer_code="000.00.00.H79")
    index.upsert([jan, mar])
    assert ids(index.search(SearchQuery(today=D, q="khai", issued_from=date(2026, 2, 1)))) == {
        mar.record_id
    }
    assert ids(index.search(SearchQuery(today=D, issued_to=date(2026, 1, 5)))) == {jan.record_id}
    assert ids(index.search(SearchQuery(today=D, issuer_code="000.00.00.H79"))) == {mar.record_id}
    assert ids(index.search(SearchQuery(today=D, subject_id=DUC))) == {jan.record_id, mar.record_id}


def test_search_by_status_is_judged_on_the_day(index: SearchIndex) -> None:
    valid = doc()
    expired = doc(valid_until=date(2026, 5, 1))
    revoked = doc(revoked_on=date(2026, 4, 1))
    index.upsert([valid, expired, revoked])
    assert ids(index.search(SearchQuery(today=D, status=Status.valid))) == {valid.record_id}
    assert ids(index.search(SearchQuery(today=D, status=Status.expired))) == {expired.record_id}
    assert ids(index.search(SearchQuery(today=D, status=Status.revoked))) == {revoked.record_id}
    # a day earlier, the expired one was still valid
    earlier = index.search(SearchQuery(today=date(2026, 3, 1), status=Status.valid))
    assert ids(earlier) == {valid.record_id, expired.record_id, revoked.record_id}


def test_facets_count_the_matching_records(index: SearchIndex) -> None:
    index.upsert(
        [
            doc(text="chung nhan"),
            doc(text="chung nhan"),
            doc(
                result_type="Phiếu lý lịch tư pháp",
                text="chung nhan",
                valid_until=date(2026, 1, 31),
            ),
            doc(result_type="Phiếu lý lịch tư pháp", text="khac"),
        ]
    )
    result = index.search(SearchQuery(today=D, q="chung nhan"))
    assert result.total == 3
    assert dict(result.facets["result_type"]) == {"Giấy khai sinh": 2, "Phiếu lý lịch tư pháp": 1}
    assert dict(result.facets["status"]) == {"valid": 2, "expired": 1}


def test_search_pages_do_not_overlap(index: SearchIndex) -> None:
    index.upsert([doc(text=f"hồ sơ số {n}") for n in range(30)])
    first = index.search(SearchQuery(today=D, q="ho so", page=1, page_size=20))
    second = index.search(SearchQuery(today=D, q="ho so", page=2, page_size=20))
    assert first.total == second.total == 30
    assert len(first.hits) == 20 and len(second.hits) == 10
    assert not ids(first) & ids(second)


def test_an_older_version_never_overwrites_a_newer_one(index: SearchIndex) -> None:
    rid = str(ULID())
    index.upsert([doc(record_id=rid, version=2, revoked_on=date(2026, 2, 1))])
    index.upsert([doc(record_id=rid, version=1)])
    hit = index.get(rid)
    assert hit is not None and hit.validity.revoked_on == date(2026, 2, 1)
    index.upsert([doc(record_id=rid, version=3)])
    hit = index.get(rid)
    assert hit is not None and hit.validity.revoked_on is None


def test_delete_and_count(index: SearchIndex) -> None:
    a, b = doc(), doc()
    index.upsert([a, b])
    assert index.count() == 2
    index.delete([a.record_id])
    assert index.count() == 1
    assert index.get(a.record_id) is None


def test_rebuild_replaces_everything_atomically(index: SearchIndex) -> None:
    old = doc(text="cũ")
    index.upsert([old])
    new = doc(text="mới")
    rebuild = index.rebuild()
    rebuild.add([new])
    # readers still see the old content until commit
    assert index.get(old.record_id) is not None
    rebuild.commit()
    assert index.get(old.record_id) is None
    assert index.get(new.record_id) is not None
    assert index.count() == 1


def test_an_aborted_rebuild_leaves_the_index_as_it_was(index: SearchIndex) -> None:
    old = doc()
    index.upsert([old])
    rebuild = index.rebuild()
    rebuild.add([doc()])
    rebuild.abort()
    assert index.count() == 1 and index.get(old.record_id) is not None


def test_queries_with_syntax_characters_are_plain_text(index: SearchIndex) -> None:
    d = doc(text="Quyết định 123/QĐ-UBND ngày 01/02/2026")
    index.upsert([d])
    for q in ['"', "AND OR NOT", "*", "(", "123/QĐ-UBND", 'a" OR "b', "NEAR(x y)", "{}[]^~:\\"]:
        result = index.search(SearchQuery(today=D, q=q))
        assert result.total >= 0
    assert d.record_id in ids(index.search(SearchQuery(today=D, q="123/QĐ-UBND")))


def test_check_passes_when_the_engine_answers(index: SearchIndex) -> None:
    index.check()


def test_lookup_and_search_filter_on_the_signature_verdict(index: SearchIndex) -> None:
    passed = doc(text="khai sinh")
    doubtful = doc(text="khai sinh", indication="INDETERMINATE")
    failed = doc(text="khai sinh", indication="TOTAL-FAILED")
    index.upsert([passed, doubtful, failed])
    assert ids(
        index.lookup(
            LookupQuery(
                subject_id=DUC, valid_on=D, indication="INDETERMINATE", include_invalid=True
            )
        )
    ) == {doubtful.record_id}
    # Without include_invalid only reusable results count: none of them is INDETERMINATE.
    assert (
        index.lookup(LookupQuery(subject_id=DUC, valid_on=D, indication="INDETERMINATE")).total == 0
    )
    assert ids(index.search(SearchQuery(today=D, q="khai", indication="TOTAL-FAILED"))) == {
        failed.record_id
    }
    assert index.search(SearchQuery(today=D, q="khai")).total == 3


def _reuse_grid() -> list[IndexDocument]:
    """Every validity case beside every signature verdict, newest first by issued_on."""
    cases: list[dict[str, Any]] = [
        {},
        {"valid_until": D},
        {"valid_until": date(2026, 5, 31)},
        {"valid_from": date(2026, 6, 2)},
        {"revoked_on": D},
        {"revoked_on": date(2026, 6, 2)},
        {"superseded_on": date(2026, 3, 1)},
        {"disposed": True},
        {"revoked_on": date(2026, 4, 1), "valid_until": date(2026, 5, 1)},
    ]
    docs = []
    for case in cases:
        for indication in ("TOTAL-PASSED", "INDETERMINATE", "TOTAL-FAILED", None):
            issued = date(2026, 1, 1) + timedelta(days=len(docs))
            docs.append(doc(issued_on=issued, indication=indication, **case))
    return docs


@pytest.mark.parametrize("policy", list(SignaturePolicy))
def test_lookup_returns_exactly_the_reusable_results_paged_inside_the_query(
    index: SearchIndex, policy: SignaturePolicy
) -> None:
    """The engines' reuse filter agrees with archive.reuse.reuse_on, the one verdict, and is
    applied inside the query: totals and pages count only reusable results."""
    docs = _reuse_grid()
    index.upsert(docs)
    expected = [
        d.record_id
        for d in sorted(docs, key=lambda d: (-d.issued_on.toordinal(), d.record_id))
        if reuse_on(d.validity, d.indication, D, policy).reusable
    ]
    assert expected  # the grid has reusable results under either policy
    seen: list[str] = []
    for page_no in range(1, 10):
        page = index.lookup(
            LookupQuery(
                subject_id=DUC, valid_on=D, signature_policy=policy, page=page_no, page_size=2
            )
        )
        assert page.total == len(expected)
        seen.extend(hit.record_id for hit in page.hits)
        if not page.hits:
            break
    assert seen == expected
    everything = index.lookup(
        LookupQuery(
            subject_id=DUC, valid_on=D, signature_policy=policy, include_invalid=True, page_size=100
        )
    )
    assert everything.total == len(docs)
    by_id = {d.record_id: d for d in docs}
    for hit in everything.hits:
        # hits carry the indexed verdict, so the reuse verdict is judged from the index alone
        assert hit.indication == by_id[hit.record_id].indication
        assert hit.validity == by_id[hit.record_id].validity


def test_a_new_verdict_changes_reusability_at_once(index: SearchIndex) -> None:
    rid = str(ULID())
    index.upsert([doc(record_id=rid, version=1, indication="INDETERMINATE")])
    assert index.lookup(LookupQuery(subject_id=DUC, valid_on=D)).total == 0
    index.upsert([doc(record_id=rid, version=2, indication="TOTAL-PASSED")])
    assert ids(index.lookup(LookupQuery(subject_id=DUC, valid_on=D))) == {rid}
    index.upsert([doc(record_id=rid, version=3, indication="TOTAL-FAILED")])
    assert index.lookup(LookupQuery(subject_id=DUC, valid_on=D)).total == 0
    assert ids(
        index.lookup(LookupQuery(subject_id=DUC, valid_on=D, signature_policy=SignaturePolicy.any))
    ) == {rid}


# -- bounded counts (issue 18): a common word costs no pass over every match -----------------


def test_a_search_counts_up_to_the_bound_and_says_so(index: SearchIndex) -> None:
    index.count_bound = 5
    index.upsert([doc(text="chung nhan", issued_on=date(2026, 1, n)) for n in range(1, 9)])
    result = index.search(SearchQuery(today=D, q="chung nhan", page_size=3))
    assert (result.total, result.total_relation) == (5, "gte")
    assert len(result.hits) == 3
    # The facets count the matches counted, no more.
    assert sum(n for _, n in result.facets["result_type"]) == 5
    assert sum(n for _, n in result.facets["status"]) == 5


def test_filters_alone_are_counted_up_to_the_bound_too(index: SearchIndex) -> None:
    index.count_bound = 5
    index.upsert(
        [doc(issued_on=date(2026, 1, n)) for n in range(1, 9)]
        + [doc(result_type="Phiếu lý lịch tư pháp")]
    )
    result = index.search(SearchQuery(today=D, result_type="Giấy khai sinh", page_size=20))
    assert (result.total, result.total_relation) == (5, "gte")
    # Newest first, and every match is still reachable page by page.
    assert [h.record["result_type"] for h in result.hits] == ["Giấy khai sinh"] * 8
    days = [h.record_id for h in result.hits]
    assert len(set(days)) == 8
    assert dict(result.facets["result_type"]) == {"Giấy khai sinh": 5}


def test_at_or_under_the_bound_the_count_and_facets_are_exact(index: SearchIndex) -> None:
    index.count_bound = 5
    index.upsert(
        [doc(text="chung nhan") for _ in range(4)]
        + [doc(text="chung nhan", result_type="Phiếu lý lịch tư pháp")]
        + [doc(text="khac") for _ in range(3)]
    )
    result = index.search(SearchQuery(today=D, q="chung nhan"))
    assert (result.total, result.total_relation) == (5, "eq")
    assert dict(result.facets["result_type"]) == {"Giấy khai sinh": 4, "Phiếu lý lịch tư pháp": 1}
    filtered = index.search(
        SearchQuery(today=D, q="chung nhan", result_type="Phiếu lý lịch tư pháp")
    )
    assert (filtered.total, filtered.total_relation) == (1, "eq")


def test_ranking_over_a_bounded_count_keeps_the_best_first(index: SearchIndex) -> None:
    index.count_bound = 3
    best = doc(names=("Khổng Minh Tài",), text="khong minh tai khong minh tai")
    index.upsert([doc(text="khong minh tai", issued_on=date(2025, 1, n)) for n in range(1, 3)])
    index.upsert([best])
    result = index.search(SearchQuery(today=D, q="Khổng Minh Tài"))
    assert result.total_relation == "eq" and result.total == 3
    assert result.hits[0].record_id == best.record_id


def test_a_search_within_one_subject_finds_all_of_its_matches(index: SearchIndex) -> None:
    index.count_bound = 2
    mine = [doc(text="chung nhan") for _ in range(3)]
    index.upsert(mine)
    lan = [doc(text="chung nhan", subject_ids=(LAN,), names=("Lê Thị Lan",)) for _ in range(5)]
    index.upsert(lan)
    result = index.search(SearchQuery(today=D, q="chung nhan", subject_id=DUC))
    assert (result.total, result.total_relation) == (2, "gte")
    assert ids(result) == {d.record_id for d in mine}


def test_a_filtered_search_finds_old_matches_behind_many_newer_ones(index: SearchIndex) -> None:
    """The filters are applied while counting, not after: a match that passes them is found
    however many newer matches of the same word fail them."""
    index.count_bound = 3
    old = [doc(text="chung nhan", result_type="Phiếu lý lịch tư pháp") for _ in range(2)]
    index.upsert(old)
    index.upsert([doc(text="chung nhan", issued_on=date(2026, 1, n)) for n in range(1, 10)])
    result = index.search(
        SearchQuery(today=D, q="chung nhan", result_type="Phiếu lý lịch tư pháp", page_size=2)
    )
    assert (result.total, result.total_relation) == (2, "eq")
    assert ids(result) == {d.record_id for d in old}
    assert dict(result.facets["result_type"]) == {"Phiếu lý lịch tư pháp": 2}


def test_a_words_search_keeps_the_filters_and_the_range_exact_at_their_ends(
    index: SearchIndex,
) -> None:
    """Words with filters: the issue-day range holds to the day at both ends (a year's
    first and last day in, the days around out), a range of many years too, and a filter
    value no match has gives nothing."""
    days = [date(2019, 12, 31), date(2020, 1, 1), date(2020, 12, 31), date(2021, 1, 1)]
    docs = [doc(text="chung nhan", issued_on=day) for day in days]
    other = doc(text="chung nhan", issued_on=date(2020, 6, 1), issuer_code="000.00.11.H62")
    index.upsert([*docs, other])
    one_year = index.search(
        SearchQuery(
            today=D,
            q="chung nhan",
            issuer_code="000.00.15.H62",
            issued_from=date(2020, 1, 1),
            issued_to=date(2020, 12, 31),
        )
    )
    assert ids(one_year) == {docs[1].record_id, docs[2].record_id}
    many_years = index.search(
        SearchQuery(
            today=D, q="chung nhan", issued_from=date(2005, 1, 1), issued_to=date(2020, 12, 31)
        )
    )
    assert ids(many_years) == {
        docs[0].record_id,
        docs[1].record_id,
        docs[2].record_id,
        other.record_id,
    }
    from_only = index.search(SearchQuery(today=D, q="chung nhan", issued_from=date(2020, 12, 31)))
    assert ids(from_only) == {docs[2].record_id, docs[3].record_id}
    none = index.search(
        SearchQuery(
            today=D,
            q="chung nhan",
            result_type="Phiếu lý lịch tư pháp",
            issued_from=date(2020, 1, 1),
        )
    )
    assert (none.total, ids(none)) == (0, set())
