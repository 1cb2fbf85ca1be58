"""The deposit metadata an agency sends, validated strictly, and the subjects a result concerns.

Everything here is untrusted input until it has passed these models: unknown fields are
refused (including the fields Kho computes), identifiers follow DOMAIN.md, dates are real
calendar dates written `YYYY-MM-DD`, and text is normalised to Unicode NFC so that the same
Vietnamese name is stored and matched one way only.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from ulid import ULID

from kho.archive.deposit_warnings import DepositWarning, WarningCode
from kho.archive.errors import InvalidMetadata, UnknownAgency
from kho.archive.identifiers import (
    CITIZEN_ID,
    ENTERPRISE_ID,
    citizen_id_warnings,
    enterprise_id_warnings,
    is_agency_code,
    is_dossier_code,
)
from kho.archive.metadata_json import check_nesting

__all__ = [
    "COMPUTED_FIELDS",
    "DepositMetadata",
    "Subject",
    "SubjectKind",
    "check_deposit",
    "parse_metadata",
]

# Fields Kho computes; a deposit that sends them is refused by name (CONTRACT.md).
COMPUTED_FIELDS = frozenset(
    {"record_id", "sha256", "size", "media_type", "status", "signature", "retention"}
)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
_RESULT_OF_DOSSIER = re.compile(r"^(?P<dossier>.+)-KQ(?P<n>\d{1,3})$", re.ASCII)


def _text(max_length: int) -> Any:
    def check(value: object) -> str:
        if not isinstance(value, str):
            raise ValueError("must be text")
        value = unicodedata.normalize("NFC", value).strip()
        if not value:
            raise ValueError("must not be empty")
        if len(value) > max_length:
            raise ValueError(f"must be at most {max_length} characters")
        if _CONTROL.search(value):
            raise ValueError("must not contain control characters")
        return value

    return BeforeValidator(check)


def _calendar_date(value: object) -> object:
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError("must be a date written YYYY-MM-DD")
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value} is not a real calendar date") from None
    if parsed.year < 1900:
        raise ValueError("must not be before 1900")
    return parsed


def _agency_code(value: str) -> str:
    if not is_agency_code(value):
        raise ValueError(
            "must be an agency code: dot-separated letters and digits, at most 35 characters"
        )
    return value


def _dossier_code(value: str) -> str:
    if not is_dossier_code(value):
        raise ValueError(
            "must be a dossier code V1V2V3.Z1Z2.Y1Y2.MX1X2-YYMMDD-XXXX, "
            "e.g. 000.00.15.H62-261122-0007"
        )
    return value


def _ulid(value: str) -> str:
    try:
        return str(ULID.from_str(value))
    except ValueError:
        raise ValueError("must be a record_id (ULID)") from None


ShortText = Annotated[str, _text(300)]
LongText = Annotated[str, _text(2000)]
CalendarDate = Annotated[date, BeforeValidator(_calendar_date)]
AgencyCode = Annotated[str, _text(35), AfterValidator(_agency_code)]
DossierCode = Annotated[str, _text(40), AfterValidator(_dossier_code)]
RecordId = Annotated[str, _text(26), AfterValidator(_ulid)]


class SubjectKind(StrEnum):
    citizen = "citizen"
    enterprise = "enterprise"


class Subject(BaseModel):
    """A person or enterprise the result concerns, keyed by personal ID or enterprise code."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: SubjectKind
    id: Annotated[str, Field(strict=True, max_length=14)]  # exactly as given: no trimming
    name: ShortText

    @model_validator(mode="after")
    def _id_fits_kind(self) -> Subject:
        if self.kind is SubjectKind.citizen and not CITIZEN_ID.fullmatch(self.id):
            raise ValueError("a citizen id is a 12-digit personal ID number")
        if self.kind is SubjectKind.enterprise and not ENTERPRISE_ID.fullmatch(self.id):
            raise ValueError("an enterprise id is a 10-digit code, or 10 digits + '-' + 3 digits")
        return self

    def warnings(self) -> list[DepositWarning]:
        if self.kind is SubjectKind.citizen:
            code, found = WarningCode.unknown_province_prefix, citizen_id_warnings(self.id)
        else:
            code, found = WarningCode.enterprise_check_digit, enterprise_id_warnings(self.id)
        return [DepositWarning(code=code.value, message=message) for message in found]


class DepositMetadata(BaseModel):
    """What an agency states about a result it deposits (CONTRACT.md, "Deposit metadata")."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    issuer_code: AgencyCode
    result_code: Annotated[str, _text(100)]
    dossier_code: DossierCode | None = None
    procedure_code: Annotated[str, _text(100)]
    procedure_name: LongText
    result_type: ShortText
    subjects: Annotated[tuple[Subject, ...], Field(min_length=1, max_length=100)]
    issued_on: CalendarDate
    valid_from: CalendarDate | None = None
    valid_until: CalendarDate | None = None
    validity_scope: LongText | None = None
    supersedes: RecordId | None = None
    source_system: ShortText | None = None

    @model_validator(mode="after")
    def _consistent(self) -> DepositMetadata:
        derived = _RESULT_OF_DOSSIER.fullmatch(self.result_code)
        if derived and is_dossier_code(derived["dossier"]):
            if self.dossier_code is None:
                raise ValueError(
                    "dossier_code is required: result_code is a dossier result code "
                    f"({derived['dossier']}-KQ{derived['n']})"
                )
            if derived["dossier"] != self.dossier_code:
                raise ValueError(
                    f"result_code {self.result_code} does not belong to dossier_code "
                    f"{self.dossier_code}"
                )
        elif _CONTROL.search(self.result_code) or "\n" in self.result_code:
            raise ValueError("result_code must not contain control characters")
        start = self.valid_from or self.issued_on
        if self.valid_until is not None and self.valid_until < start:
            raise ValueError(f"valid_until ({self.valid_until}) is before valid_from ({start})")
        seen: set[str] = set()
        for subject in self.subjects:
            if subject.id in seen:
                raise ValueError(f"subject {subject.id} is listed twice")
            seen.add(subject.id)
        return self

    @property
    def effective_valid_from(self) -> date:
        return self.valid_from or self.issued_on

    def warnings(self) -> list[DepositWarning]:
        return [w for subject in self.subjects for w in subject.warnings()]


def parse_metadata(raw: object) -> DepositMetadata:
    """Validate untrusted deposit metadata; raise InvalidMetadata listing every problem."""
    check_nesting(raw)
    if not isinstance(raw, dict):
        raise InvalidMetadata("metadata must be a JSON object", errors=[])
    computed = sorted(COMPUTED_FIELDS & raw.keys())
    if computed:
        raise InvalidMetadata(
            f"fields computed by Kho cannot be sent: {', '.join(computed)}",
            errors=[{"field": name, "message": "computed by Kho"} for name in computed],
        )
    try:
        return DepositMetadata.model_validate(raw)
    except ValidationError as exc:
        errors = [
            {
                "field": ".".join(str(p) for p in err["loc"]) or "metadata",
                "message": _message(err),
            }
            for err in exc.errors()
        ]
        summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        raise InvalidMetadata(f"invalid metadata: {summary}", errors=errors) from None


def check_deposit(
    metadata: DepositMetadata, *, today: date, agencies: frozenset[str] | None = None
) -> DepositMetadata:
    """The checks that need more than the metadata itself: the issuer is in the agency
    registry (when one is configured: UnknownAgency) and the result was not issued after
    `today` (InvalidMetadata)."""
    if agencies is not None and metadata.issuer_code not in agencies:
        raise UnknownAgency(
            f"issuer_code {metadata.issuer_code} is not in the agency registry",
            field="issuer_code",
        )
    if metadata.issued_on > today:
        raise InvalidMetadata(
            f"issued_on {metadata.issued_on} is in the future",
            errors=[{"field": "issued_on", "message": "in the future"}],
        )
    return metadata


def _message(err: Any) -> str:
    if err["type"] == "extra_forbidden":
        return "unknown field"
    if err["type"] == "missing":
        return "required"
    msg = str(err["msg"])
    return msg.removeprefix("Value error, ")
