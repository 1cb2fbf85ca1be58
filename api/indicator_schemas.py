"""Response and request shapes of the settlement and indicator endpoints (OpenAPI)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "IndicatorsOut",
    "ReuseEventList",
    "SettlementIn",
    "SettlementList",
    "SettlementOut",
]

Level = Literal["central", "province", "district", "commune"]


class SettlementIn(BaseModel):
    """A settlement notice from the one-door system (documentation: the body is validated
    by Kho itself, and every problem is named by its field)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "dossier_code": "000.00.15.H62-261122-0007",
                    "result_code": "000.00.15.H62-261122-0007-KQ1",
                    "issuer_code": "000.00.15.H62",
                    "procedure_code": "1.001193",
                    "level": "commune",
                    "settled_on": "2026-11-25",
                    "result_form": "electronic",
                }
            ]
        },
    )

    dossier_code: str = Field(description="V1V2V3.Z1Z2.Y1Y2.MX1X2-YYMMDD-XXXX")
    result_code: str = Field(description="`<dossier_code>-KQ<n>`")
    issuer_code: str
    procedure_code: str
    level: Level = Field(description="district only for results settled before 2025-07-01")
    settled_on: str = Field(description="YYYY-MM-DD, not after today")
    result_form: Literal["electronic", "paper"]


class SettlementOut(BaseModel):
    dossier_code: str
    result_code: str
    issuer_code: str
    procedure_code: str
    level: str
    settled_on: str
    result_form: str
    received_at: str
    record_id: str | None
    digitized: bool


class SettlementRow(BaseModel):
    issuer_code: str
    issuer_name: str | None
    result_code: str
    dossier_code: str | None
    procedure_code: str | None
    level: str | None
    settled_on: str
    result_form: str | None
    digitized: bool
    record_id: str | None
    deposited_on: str | None
    days_to_deposit: int | None
    waiting_days: int | None
    signed: bool | None
    record: str | None = Field(description="The record behind it (`GET /api/v1/records/{id}`)")


class SettlementList(BaseModel):
    items: list[SettlementRow]
    total: int
    page: int
    page_size: int


class DayBucket(BaseModel):
    days: str
    from_: int = Field(alias="from")
    to: int | None
    count: int


class SettlementFigures(BaseModel):
    settled: int = Field(description="Notices settled in the period")
    digitized: int = Field(description="Of them, those Kho holds by the period's last day")
    digitization_rate: float | None = Field(description="digitized / settled; null if none")
    signed: int = Field(description="Of the digitized, those signed TOTAL-PASSED at deposit")
    waiting: int = Field(description="settled - digitized")
    digitized_within_days: list[DayBucket] = Field(
        description="The digitized by days from settlement to deposit"
    )


class Totals(SettlementFigures):
    lookups: int = Field(description="Audited subject lookups in the period")
    lookups_found: int = Field(description="Of them, those that returned a reusable result")
    downloads_by_other_agencies: int = Field(
        description="Content reads by an agency other than the record's issuer"
    )
    lookups_found_rate: float | None
    subjects_served: int = Field(
        description="Distinct subjects of the lookups that found and the other agencies' reads"
    )
    dossiers_served: int = Field(description="Distinct dossier codes of those accesses")


class Group(SettlementFigures):
    key: str
    name: str | None
    target_rate: float | None = Field(description="Decision 468's target for its level and year")
    links: dict[str, str]


class Targets(BaseModel):
    year: int
    digitization_rate: dict[str, float | None]


class IndicatorsOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: str = Field(alias="from")
    to: str
    group_by: str | None
    totals: Totals
    groups: list[Group]
    targets: Targets
    links: dict[str, str] = Field(description="Where each figure's records or events are listed")
    through_seq: int = Field(description="The last audit event the figures include")


class ReuseEvent(BaseModel):
    seq: int
    event_id: str | None = None
    at: str | None = None
    action: str | None = None
    outcome: str | None = None
    purpose: str | None = None
    record_ids: list[str] | None = None
    agency: str | None = None


class ReuseEventList(BaseModel):
    items: list[ReuseEvent]
    total: int
    page: int
    page_size: int
