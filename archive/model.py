"""The record model: what a record says of itself, each field declared once, typed.

`RecordFacts` are the fields the manifest keeps (archive/manifest.py) and the record view
shows (archive/view.py) alike; both are subclasses, so the manifest on disk, the view, the
API's schema (api/schemas.py `RecordOut`) and the index (indexer/index.py) cannot disagree
on a name or a type. A field marked with an `Indexed` kind is also a filter field of the
search index, and both engines derive their mappings from those marks (SQLite columns,
Elasticsearch properties). Adding a field is one edit here, plus whatever computes it.

The record's standing on a day (`status`, `reusable`, `reuse_blockers`) is not a fact: it
is judged whenever a record is read (archive/reuse.py) and belongs to the view only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Annotated, get_args

from pydantic import BaseModel, ConfigDict, Field
from pydantic.fields import FieldInfo

from kho.archive.record import Subject

__all__ = ["Indexed", "IndexedField", "Origin", "RecordFacts", "indexed_fields"]


class Indexed(StrEnum):
    """How the search index keeps a field to filter and sort on."""

    keyword = "keyword"  # exact text
    day = "day"  # a calendar date, as YYYY-MM-DD
    instant = "instant"  # a moment, RFC 3339
    flag = "flag"  # true or false
    number = "number"  # an integer


@dataclass(frozen=True)
class IndexedField:
    """One filter field of the index: its kind, and whether a record may lack it."""

    kind: Indexed
    optional: bool


class Origin(StrEnum):
    born_digital = "born_digital"
    digitized = "digitized"


class RecordFacts(BaseModel):
    """The facts of a signed result that the manifest stores and every view shows as is."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    record_id: Annotated[str, Indexed.keyword] = Field(description="The record's ULID")
    issuer_code: Annotated[str, Indexed.keyword] = Field(
        description="The issuing agency's code (mã cơ quan)", examples=["000.00.15.H62"]
    )
    result_code: Annotated[str, Indexed.keyword] = Field(
        description="The result's code (mã/số ký hiệu), unique per issuer",
        examples=["000.00.15.H62-261122-0007-KQ1"],
    )
    dossier_code: Annotated[str | None, Indexed.keyword] = Field(
        description="The dossier that produced it (mã hồ sơ)"
    )
    procedure_code: Annotated[str, Indexed.keyword] = Field(
        description="The procedure's code (mã TTHC)", examples=["1.001193"]
    )
    procedure_name: str = Field(description="The procedure's name (tên TTHC)")
    result_type: Annotated[str, Indexed.keyword] = Field(
        description="What kind of result", examples=["Giấy khai sinh"]
    )
    subjects: tuple[Subject, ...] = Field(
        description="Whom it concerns: citizens (12-digit personal ID number) or enterprises"
    )
    issued_on: Annotated[date, Indexed.day] = Field(description="The day it was issued")
    valid_from: Annotated[date, Indexed.day] = Field(
        description="First day of validity (the issue day unless stated)"
    )
    valid_until: Annotated[date | None, Indexed.day] = Field(
        description="Last day of validity (null: no expiry)"
    )
    validity_scope: str | None = Field(description="Where it is valid (phạm vi hiệu lực)")
    supersedes: str | None = Field(description="The record this one replaces")
    origin: Origin = Field(
        Origin.born_digital, description="born_digital, or digitized from paper (số hóa)"
    )


def _indexed(field: FieldInfo) -> IndexedField | None:
    kinds = [m for m in field.metadata if isinstance(m, Indexed)]
    if not kinds:
        return None
    optional = type(None) in get_args(field.annotation) or not field.is_required()
    return IndexedField(kinds[0], optional)


def indexed_fields(model: type[BaseModel]) -> dict[str, IndexedField]:
    """The fields of `model` marked `Indexed`, in declaration order."""
    found = {name: _indexed(field) for name, field in model.model_fields.items()}
    return {name: spec for name, spec in found.items() if spec is not None}
