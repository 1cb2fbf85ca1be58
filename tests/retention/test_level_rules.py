"""Rules by administrative level: the agency registry gives each issuer its level, and a
rule naming a level applies to the results of that level's issuers only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from kho.services import Access
from kho.settings import Settings
from kho.wiring import build_services

SYSTEM = Access.system(purpose="000.00.15.H62-261123-0001")


def test_a_rule_by_level_applies_to_that_levels_issuers(
    settings: Settings,
    tmp_path: Path,
    signed_pdf: Callable[..., bytes],
    metadata: Callable[..., dict[str, Any]],
) -> None:
    registry = tmp_path / "agencies.txt"
    registry.write_text(
        "000.00.15.H62;UBND xã Tân Phong;commune\n000.00.00.H62;Sở Tư pháp;province\n",
        encoding="utf-8",
    )
    schedule = tmp_path / "schedule.yaml"
    schedule.write_text(
        "version: levels-1\n"
        "rules:\n"
        "  - id: xa-10\n    result_type: Giấy phép\n    level: commune\n    years: 10\n"
        "  - id: chung-3\n    result_type: Giấy phép\n    years: 3\n",
        encoding="utf-8",
    )
    services = build_services(
        settings.model_copy(update={"retention_schedule": schedule, "agency_registry": registry})
    )
    try:
        kept: dict[str, Any] = {}
        for n, issuer in enumerate(("000.00.15.H62", "000.00.00.H62")):
            meta = metadata(result_type="Giấy phép", issued_on="2020-05-06", issuer_code=issuer)
            out = services.deposit.deposit(
                signed_pdf("GIẤY PHÉP", ("Số", f"level-{n}")), f"{n}.pdf", meta, SYSTEM
            )
            manifest = services.backends.packages.latest_manifest(out.record["record_id"])
            kept[issuer] = manifest.retention
        assert kept["000.00.15.H62"].rule == "xa-10"
        assert kept["000.00.15.H62"].retain_until == date(2030, 12, 31)
        assert kept["000.00.00.H62"].rule == "chung-3"
        assert kept["000.00.00.H62"].retain_until == date(2023, 12, 31)
    finally:
        services.close()
