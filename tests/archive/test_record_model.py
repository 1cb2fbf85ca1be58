"""One record model: the manifest, the view, the API's schema and the index document all
come from archive/model.py, and none of them drifts from it (or from what Kho wrote before
the model existed: tests/archive/golden/records.json was written by the previous code)."""

from __future__ import annotations

import json
import typing
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from kho.api.schemas import DepositOut, RecordOut
from kho.api.spec import committed_spec
from kho.archive.manifest import Manifest
from kho.archive.model import RecordFacts, indexed_fields
from kho.archive.signatures.status import Indication
from kho.archive.view import RecordView, StoredView, stored_view, view_on
from kho.indexer.index import FILTER_FIELDS, IndexDocument
from kho.settings import SignaturePolicy

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
GOLDEN: dict[str, dict[str, Any]] = json.loads(
    (Path(__file__).parent / "golden" / "records.json").read_text(encoding="utf-8")
)
CASES = sorted(GOLDEN)


@pytest.mark.parametrize("case", CASES)
def test_manifests_are_written_byte_for_byte_as_before(case: str) -> None:
    golden = GOLDEN[case]
    manifest = Manifest.model_validate(golden["manifest_in"])
    assert manifest.to_bytes().decode() == golden["stored"]
    assert Manifest.from_bytes(golden["stored"].encode()).to_bytes().decode() == golden["stored"]


@pytest.mark.parametrize("case", CASES)
def test_views_and_index_documents_are_as_before(case: str) -> None:
    golden = GOLDEN[case]
    manifest = Manifest.from_bytes(golden["stored"].encode())
    assert stored_view(manifest, ZONE).to_json() == golden["view"]
    shown = view_on(manifest, ZONE, date(2026, 11, 26), SignaturePolicy.total_passed)
    assert shown == golden["shown_2026_11_26"]
    document = IndexDocument.of(manifest, "văn bản", ZONE)
    assert document.filter_fields() == golden["filter_fields"]
    assert dict(document.record) == golden["view"]
    assert list(document.subject_ids) == golden["subject_ids"]
    assert list(document.subject_names) == golden["subject_names"]
    assert document.meta_text() == golden["meta_text"]


@pytest.mark.parametrize("case", CASES)
def test_a_shown_record_is_exactly_a_record_view(case: str) -> None:
    manifest = Manifest.from_bytes(GOLDEN[case]["stored"].encode())
    shown = view_on(manifest, ZONE, date(2026, 11, 26), SignaturePolicy.total_passed)
    assert RecordView.model_validate(shown).model_dump(mode="json") == shown
    assert set(shown) <= set(RecordView.model_fields)


def test_the_indication_is_an_enum_in_the_manifest_and_text_on_disk() -> None:
    manifest = Manifest.from_bytes(GOLDEN["revoked"]["stored"].encode())
    assert manifest.signature.indication is Indication.INDETERMINATE
    assert all(isinstance(v.indication, Indication) for v in manifest.validations)
    assert json.loads(manifest.to_bytes())["signature"]["indication"] == "INDETERMINATE"


def test_the_manifest_and_the_view_share_the_record_facts() -> None:
    for model in (Manifest, StoredView, RecordView, RecordOut, DepositOut):
        assert issubclass(model, RecordFacts), model
        for name, field in RecordFacts.model_fields.items():
            assert model.model_fields[name].annotation == field.annotation, (model, name)
    stored, shown = set(StoredView.model_fields), set(RecordView.model_fields)
    assert stored <= shown <= set(RecordOut.model_fields)
    # The standing is the view's, never the manifest's nor the index's.
    standing = {"status", "reusable", "reuse_blockers"}
    assert standing <= set(RecordView.model_fields) - set(StoredView.model_fields)
    assert not standing & (set(Manifest.model_fields) | set(FILTER_FIELDS))


def _schema_type(prop: dict[str, Any]) -> bool:
    return any(key in prop for key in ("type", "$ref", "anyOf", "allOf", "enum"))


def test_the_committed_openapi_shows_every_record_field_with_its_type() -> None:
    schemas = json.loads(committed_spec())["components"]["schemas"]
    for name in ("RecordOut", "DepositOut", "DigitizationOut"):
        schema = schemas[name]
        assert schema.get("additionalProperties") is not True, name
        properties = schema["properties"]
        missing = set(RecordView.model_fields) - set(properties)
        assert not missing, (name, missing)
        untyped = [field for field, prop in properties.items() if not _schema_type(prop)]
        assert not untyped, (name, untyped)
    assert RecordOut.model_config.get("extra") != "allow"
    assert DepositOut.model_config.get("extra") != "allow"


def test_the_index_filters_on_every_field_the_model_marks() -> None:
    marked = indexed_fields(StoredView)
    assert marked and marked.items() <= FILTER_FIELDS.items()
    manifest = Manifest.from_bytes(GOLDEN["digitized"]["stored"].encode())
    fields = IndexDocument.of(manifest, "", ZONE).filter_fields()
    assert list(fields) == list(FILTER_FIELDS)
    for name, spec in FILTER_FIELDS.items():
        assert spec.optional or fields[name] is not None, name


def test_a_field_the_model_marks_reaches_the_index_document() -> None:
    """Adding an indexed field is an edit of the model: the document carries it by name."""
    manifest = Manifest.from_bytes(GOLDEN["digitized"]["stored"].encode())
    document = IndexDocument.of(manifest, "", ZONE)
    assert document.facts["record_id"] == manifest.record_id
    extended = dict(FILTER_FIELDS, origin=FILTER_FIELDS["issuer_code"])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("kho.indexer.index.FILTER_FIELDS", extended)
        again = IndexDocument.of(manifest, "", ZONE)
        assert again.filter_fields()["origin"] == "digitized"
    assert typing.get_type_hints(RecordFacts)["origin"].__name__ == "Origin"
