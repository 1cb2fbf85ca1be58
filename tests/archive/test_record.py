"""Deposit metadata is validated strictly: every bad input is refused, naming the field."""

from __future__ import annotations

from typing import Any

import pytest

from kho.archive.errors import InvalidMetadata
from kho.archive.record import parse_metadata

GOOD: dict[str, Any] = {
    "issuer_code": "000.00.15.H62",
    "result_code": "000.00.15.H62-261122-0007-KQ1",
    "dossier_code": "000.00.15.H62-261122-0007",
    "procedure_code": "1.001193",
    "procedure_name": "Thủ tục đăng ký khai sinh",
    "result_type": "Giấy khai sinh",
    "subjects": [{"kind": "citizen", "id": "001203001234", "name": "Trần Văn Đức"}],
    "issued_on": "2026-11-22",
}


def with_(**changes: Any) -> dict[str, Any]:
    data = {**GOOD, **changes}
    return {k: v for k, v in data.items() if v is not ...}


def test_good_metadata_is_accepted_with_defaults() -> None:
    meta = parse_metadata(GOOD)
    assert meta.effective_valid_from.isoformat() == "2026-11-22"
    assert meta.valid_until is None
    assert meta.warnings() == []


def test_text_is_normalised_to_nfc() -> None:
    decomposed = "Tra\u0302\u0300n Va\u0306n \u0110u\u031b\u0301c"  # Trần Văn Đức in NFD
    meta = parse_metadata(
        with_(subjects=[{"kind": "citizen", "id": "001203001234", "name": decomposed}])
    )
    assert meta.subjects[0].name == "Trần Văn Đức"


def test_an_agency_document_notation_is_a_result_code_without_a_dossier() -> None:
    meta = parse_metadata(with_(result_code="123/QĐ-UBND", dossier_code=...))
    assert meta.dossier_code is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"issuer_code": ...}, "issuer_code"),
        ({"issuer_code": "H62 xã"}, "issuer_code"),
        ({"issuer_code": "A" * 36}, "issuer_code"),
        ({"result_code": ""}, "result_code"),
        ({"dossier_code": "2026-001"}, "dossier_code"),
        ({"dossier_code": ...}, "metadata"),  # a -KQn result code needs its dossier
        ({"result_code": "000.00.15.H62-261122-0008-KQ1"}, "metadata"),  # other dossier
        ({"procedure_name": "   "}, "procedure_name"),
        ({"result_type": ...}, "result_type"),
        ({"subjects": []}, "subjects"),
        ({"subjects": [{"kind": "citizen", "id": "12345678901", "name": "A"}]}, "subjects.0"),
        ({"subjects": [{"kind": "citizen", "id": "00120300123４", "name": "A"}]}, "subjects.0"),
        ({"subjects": [{"kind": "citizen", "id": "001203001234\n", "name": "A"}]}, "subjects.0"),
        ({"subjects": [{"kind": "enterprise", "id": "01012345", "name": "A"}]}, "subjects.0"),
        ({"subjects": [{"kind": "robot", "id": "001203001234", "name": "A"}]}, "subjects.0.kind"),
        ({"subjects": [{"kind": "citizen", "id": "001203001234", "name": ""}]}, "subjects.0.name"),
        (
            {"subjects": [{"kind": "citizen", "id": "001203001234", "name": "A", "x": 1}]},
            "subjects.0.x",
        ),
        ({"subjects": [GOOD["subjects"][0], GOOD["subjects"][0]]}, "metadata"),
        ({"issued_on": "2026-02-30"}, "issued_on"),
        ({"issued_on": "22/11/2026"}, "issued_on"),
        ({"issued_on": 20261122}, "issued_on"),
        ({"issued_on": "1800-01-01"}, "issued_on"),
        ({"valid_until": "2026-11-21"}, "metadata"),
        ({"valid_from": "2026-12-01", "valid_until": "2026-11-30"}, "metadata"),
        ({"supersedes": "not-a-ulid"}, "supersedes"),
        ({"colour": "red"}, "colour"),
        ({"procedure_code": "1.001193\x00"}, "procedure_code"),
    ],
)
def test_bad_metadata_is_refused_naming_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidMetadata) as caught:
        parse_metadata(with_(**changes))
    fields = [e["field"] for e in caught.value.extra["errors"]]
    assert field in fields, fields


@pytest.mark.parametrize(
    "name", ["record_id", "sha256", "size", "media_type", "status", "signature", "retention"]
)
def test_fields_kho_computes_are_refused_by_name(name: str) -> None:
    with pytest.raises(InvalidMetadata, match=name):
        parse_metadata(with_(**{name: "x"}))


@pytest.mark.parametrize("raw", [None, [], "text", 12])
def test_metadata_must_be_an_object(raw: object) -> None:
    with pytest.raises(InvalidMetadata):
        parse_metadata(raw)


def test_unusual_but_well_formed_ids_are_flagged_not_refused() -> None:
    meta = parse_metadata(
        with_(
            subjects=[
                {"kind": "citizen", "id": "099203001234", "name": "Người đăng ký ở nước ngoài"},
                {"kind": "enterprise", "id": "0101234560-001", "name": "Chi nhánh"},
            ]
        )
    )
    warnings = meta.warnings()
    assert any(
        w.code == "unknown_province_prefix" and "unknown province prefix 099" in w.message
        for w in warnings
    )
    assert any(w.code == "enterprise_check_digit" and "check digit" in w.message for w in warnings)
