"""A seeded history for the indicator tests: notices, deposits, lookups and downloads over
five months, each at a time the test sets on the services' clock (Asia/Ho_Chi_Minh).

The year is next year (signatures made today must be valid when the history happens);
every date below is fixed within it. The figures the tests expect are written by hand from
this table, not computed by the code under test.

| fact | agency (level) | procedure | settled | deposited (local time) | signer |
|---|---|---|---|---|---|
| n6 | M central | 1.000656 | Y-1-12-20 | Y-01-05 | agency |
| n1 | P province | 1.001193 | Y-01-10 | Y-01-10 | agency |
| n8 | P province | 1.001193 | (no notice) | Y-01-15 | agency |
| n2 | P province | 1.001193 | Y-01-20 | Y-02-05 | agency |
| n3 | P province | 1.000656 | Y-02-14 | Y-04-02 | agency |
| n7 | M central | 1.000656 | Y-02-28 | Y-02-27 (before its notice) | agency |
| n4 | C commune | 1.001193 | Y-03-03, paper | never | |
| n5 | C commune | 1.001193 | Y-03-30 | Y-04-01 00:30 (= 03-31 17:30 UTC) | untrusted |

Reuse: L1 Jan 12 C looks up S1 (found), L2 Jan 12 C looks up S9 (nothing), DL1 Jan 13 C
reads n1 (another agency), DL2 Jan 14 P reads n1 (its own), L3 Feb 10 P looks up S2
(found), DL3 Feb 11 C reads a range of n2 (another agency), DL4 Feb 12 C's 304 of n2
(read nothing), L6 Mar 1 C looks up S1 with include_invalid (found), DL5 Mar 2 the console
reads n1 (no agency), L4 Mar 31 23:50 M looks up S5 (nothing yet), L5 Apr 1 01:00 M looks
up S5 (n5 is not reusable: untrusted signature).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from kho.archive.manifest import Actor
from kho.indexer.index import LookupQuery
from kho.services import Access, Services
from kho.settings import Settings
from kho.wiring import build_services

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
Y = date.today().year + 1

P = "000.00.15.H62"
C = "000.20.15.H62"
M = "000.00.00.G12"
REGISTRY = (
    "# mã cơ quan; tên; cấp\n"
    f"{P};Sở Tư pháp tỉnh Lai Châu;province\n"
    f"{C}\tUBND xã Tân Phong\n"
    f"{M};Bộ Tư pháp;central\n"
    "000.30.15.H62;UBND huyện Tân Uyên;district\n"
)
BIRTH, OTHER = "1.001193", "1.000656"
S1, S2, S5, S9 = "001203000001", "001203000002", "001203000005", "001203000009"
D1, D2, D3, D4 = (
    "000.20.15.H62-270112-0001",
    "000.20.15.H62-270112-0002",
    "000.20.15.H62-270301-0003",
    "000.20.15.H62-270211-0004",
)
SUBJECT = {
    "n1": S1,
    "n2": S2,
    "n3": "001203000003",
    "n5": S5,
    "n6": "001203000006",
    "n7": "001203000007",
    "n8": "001203000008",
}


def at(month: int, day: int, hour: int = 10, minute: int = 0, year: int = Y) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZONE)


def dossier(issuer: str, name: str) -> str:
    # The national form: the receiving agency's code (for M, a 3.2.2.3 form) and a sequence.
    office = issuer if issuer.count(".") == 3 else P
    return f"{office}-{Y % 100:02d}0101-{int(name[1:]):04d}"


@dataclass
class History:
    services: Services
    settings: Settings
    records: dict[str, str] = field(default_factory=dict)  # fact name → record_id
    clock: list[datetime] = field(default_factory=list)

    def at(self, instant: datetime) -> None:
        self.clock[0] = instant


def key_access(services: Services, agency: str, purpose: str | None = None) -> Access:
    return Access(actor=Actor(agency=agency, key_id=f"key-{agency}"), purpose=purpose)


def notice(
    name: str, issuer: str, level: str, procedure: str, settled: date, form: str = "electronic"
) -> dict[str, Any]:
    code = dossier(issuer, name)
    return {
        "dossier_code": code,
        "result_code": f"{code}-KQ1",
        "issuer_code": issuer,
        "procedure_code": procedure,
        "level": level,
        "settled_on": settled.isoformat(),
        "result_form": form,
    }


def seed(settings: Settings, tmp_path: Path, signed_pdf: Callable[..., bytes]) -> History:
    registry = tmp_path / "agencies.txt"
    registry.write_text(REGISTRY, encoding="utf-8")
    configured = settings.model_copy(update={"agency_registry": registry})
    services = build_services(configured)
    history = History(services, configured, clock=[at(1, 1)])
    services.backends.clock = lambda: history.clock[0]

    def send(
        name: str, issuer: str, level: str, procedure: str, settled: date, form: str = "electronic"
    ) -> None:
        services.settlements.notify(
            notice(name, issuer, level, procedure, settled, form), key_access(services, issuer)
        )

    def put(name: str, issuer: str, procedure: str, signer: str = "agency") -> None:
        code = dossier(issuer, name)
        subject = SUBJECT[name]
        pdf = signed_pdf(
            "GIẤY KHAI SINH", ("Số định danh cá nhân", subject), ("Mã", code), signer=signer
        )
        meta = {
            "issuer_code": issuer,
            "result_code": f"{code}-KQ1",
            "dossier_code": code,
            "procedure_code": procedure,
            "procedure_name": "Thủ tục hành chính",
            "result_type": "Giấy khai sinh",
            "subjects": [{"kind": "citizen", "id": subject, "name": "Trần Văn Đức"}],
            "issued_on": history.clock[0].date().isoformat(),
        }
        outcome = services.deposit.deposit(pdf, f"{name}.pdf", meta, key_access(services, issuer))
        assert outcome.outcome == "created", outcome
        history.records[name] = outcome.record["record_id"]

    def lookup(agency: str, subject: str, purpose: str, include_invalid: bool = False) -> int:
        page = services.lookup.lookup(
            LookupQuery(
                subject_id=subject,
                valid_on=services.backends.today(),
                include_invalid=include_invalid,
            ),
            key_access(services, agency, purpose),
        )
        return page.total

    def read(name: str, agency: str | None, purpose: str, **range_: int) -> None:
        access = (
            key_access(services, agency, purpose)
            if agency
            else Access(actor=Actor(user="cli:operator"), purpose=purpose, console=True)
        )
        services.records.content(history.records[name], access, **range_)

    history.at(at(12, 20, year=Y - 1))
    send("n6", M, "central", OTHER, date(Y - 1, 12, 20))
    history.at(at(1, 5))
    put("n6", M, OTHER)
    history.at(at(1, 10, 9))
    send("n1", P, "province", BIRTH, date(Y, 1, 10))
    history.at(at(1, 10, 11))
    put("n1", P, BIRTH)
    history.at(at(1, 12))
    assert lookup(C, S1, D1) == 1  # L1
    assert lookup(C, S9, D2) == 0  # L2
    history.at(at(1, 13))
    read("n1", C, D1)  # DL1
    history.at(at(1, 14))
    read("n1", P, D1)  # DL2
    history.at(at(1, 15))
    put("n8", P, BIRTH)
    history.at(at(1, 20))
    send("n2", P, "province", BIRTH, date(Y, 1, 20))
    history.at(at(2, 5))
    put("n2", P, BIRTH)
    history.at(at(2, 10))
    assert lookup(P, S2, D1) == 1  # L3
    history.at(at(2, 11))
    read("n2", C, D4, start=0, length=100)  # DL3
    history.at(at(2, 12))
    services.records.not_modified(history.records["n2"], key_access(services, C, D4))  # DL4
    history.at(at(2, 14))
    send("n3", P, "province", OTHER, date(Y, 2, 14))
    history.at(at(2, 27))
    put("n7", M, OTHER)
    history.at(at(2, 28))
    send("n7", M, "central", OTHER, date(Y, 2, 28))
    history.at(at(3, 1))
    assert lookup(C, S1, D3, include_invalid=True) == 1  # L6
    history.at(at(3, 2))
    read("n1", None, D1)  # DL5
    history.at(at(3, 3))
    send("n4", C, "commune", BIRTH, date(Y, 3, 3), form="paper")
    history.at(at(3, 30))
    send("n5", C, "commune", BIRTH, date(Y, 3, 30))
    history.at(at(3, 31, 23, 50))
    assert lookup(M, S5, "000.00.00.G12-270331-0001") == 0  # L4
    history.at(at(4, 1, 0, 30))
    put("n5", C, BIRTH, signer="untrusted")
    history.at(at(4, 1, 1, 0))
    assert lookup(M, S5, "000.00.00.G12-270401-0001") == 0  # L5: not reusable
    history.at(at(4, 2))
    put("n3", P, OTHER)
    history.at(at(4, 5))
    services.audit.flush()
    return history
