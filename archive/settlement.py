"""Settlement notices (thông báo kết quả giải quyết): the one-door system telling Kho that a
procedure was settled and its result issued, so Kho knows what it should hold.

A notice is a fact like a record: kept in the object store (create-only, one object per
`(issuer_code, result_code)`, the key a result is identified by), never only in an index,
so the indicators built from notices can always be rebuilt. Validated like deposit
metadata: every problem is named by its field.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from kho.archive.errors import InvalidMetadata, ObjectExists, ObjectNotFound
from kho.archive.identifiers import is_dossier_code
from kho.archive.levels import level_problem
from kho.archive.manifest import Actor
from kho.archive.metadata_json import check_nesting
from kho.archive.package import claim_hash
from kho.archive.record import (
    _RESULT_OF_DOSSIER,
    AgencyCode,
    CalendarDate,
    DossierCode,
    ShortText,
    _text,
)
from kho.archive.store import ObjectStore

__all__ = [
    "NOTICE_FIELDS",
    "ResultForm",
    "SettlementNotice",
    "SettlementStore",
    "StoredNotice",
    "parse_notice",
]

SCHEMA = "kho.settlement/1"
PREFIX = "settlements/"


class ResultForm(StrEnum):
    electronic = "electronic"
    paper = "paper"


class SettlementNotice(BaseModel):
    """CONTRACT.md "Decision 468 indicators": what the one-door system states."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dossier_code: DossierCode
    result_code: Annotated[str, _text(100)]
    issuer_code: AgencyCode
    procedure_code: ShortText
    level: Annotated[str, _text(20)]
    settled_on: CalendarDate
    result_form: ResultForm

    @model_validator(mode="after")
    def _consistent(self) -> SettlementNotice:
        problem = level_problem(self.level, self.settled_on)
        if problem is not None:
            raise _FieldError("level", problem)
        # The result code belongs to its dossier, by the deposit's own rule.
        derived = _RESULT_OF_DOSSIER.fullmatch(self.result_code)
        if (
            derived
            and is_dossier_code(derived["dossier"])
            and derived["dossier"] != self.dossier_code
        ):
            raise _FieldError(
                "result_code",
                f"result_code {self.result_code} does not belong to dossier_code "
                f"{self.dossier_code}",
            )
        return self

    def fields(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


NOTICE_FIELDS = tuple(SettlementNotice.model_fields)


class _FieldError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def parse_notice(raw: object) -> SettlementNotice:
    """Validate an untrusted notice; InvalidMetadata lists every problem by field."""
    check_nesting(raw)
    if not isinstance(raw, Mapping):
        raise InvalidMetadata("a settlement notice is a JSON object", errors=[])
    try:
        return SettlementNotice.model_validate(dict(raw))
    except ValidationError as exc:
        errors = []
        for err in exc.errors():
            cause = (err.get("ctx") or {}).get("error")
            if isinstance(cause, _FieldError):
                errors.append({"field": cause.field, "message": str(cause)})
                continue
            message = str(err["msg"]).removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                message = "unknown field"
            elif err["type"] == "missing":
                message = "required"
            errors.append(
                {"field": ".".join(str(p) for p in err["loc"]) or "notice", "message": message}
            )
        summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        raise InvalidMetadata(f"invalid settlement notice: {summary}", errors=errors) from None


class StoredNotice(BaseModel):
    """A notice as kept: what was stated, and when and from whom Kho received it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: str = SCHEMA
    notice: SettlementNotice
    received_at: datetime
    received_by: Actor

    def to_bytes(self) -> bytes:
        return json.dumps(self.model_dump(mode="json"), ensure_ascii=False, sort_keys=True).encode(
            "utf-8"
        )


def notice_key(issuer_code: str, result_code: str) -> str:
    h = claim_hash(issuer_code, result_code)
    return f"{PREFIX}{h[:2]}/{h}.json"


class SettlementStore:
    """Notices in the object store, one create-only object per result."""

    def __init__(self, store: ObjectStore) -> None:
        self.store = store

    def get(self, issuer_code: str, result_code: str) -> StoredNotice | None:
        try:
            data = self.store.get(notice_key(issuer_code, result_code))
        except ObjectNotFound:
            return None
        return StoredNotice.model_validate_json(data)

    def put(self, stored: StoredNotice) -> StoredNotice | None:
        """Keep a new notice; if one is held for that result already, return it instead
        (of two concurrent writers exactly one keeps its notice)."""
        key = notice_key(stored.notice.issuer_code, stored.notice.result_code)
        try:
            self.store.put(key, stored.to_bytes(), create_only=True)
        except ObjectExists:
            held = self.get(stored.notice.issuer_code, stored.notice.result_code)
            if held is None:  # pragma: no cover - removed between the two calls
                raise
            return held
        return None

    def all(self) -> Iterator[StoredNotice]:
        for key in self.store.list(PREFIX):
            try:
                yield StoredNotice.model_validate_json(self.store.get(key))
            except ObjectNotFound:
                continue


def differing(a: SettlementNotice, b: SettlementNotice) -> list[str]:
    """The fields in which two notices of one result differ."""
    return [name for name in NOTICE_FIELDS if getattr(a, name) != getattr(b, name)]
