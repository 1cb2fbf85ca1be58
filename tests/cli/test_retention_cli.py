"""kho holds / kho disposal as two records managers (--as, the password on stdin)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from support.backends import settings_overrides
from support.web import make_user
from test_readme import KHO

from kho.services import Access
from kho.settings import Settings
from kho.wiring import build_services

TYPE = "Giấy xác nhận tình trạng hôn nhân"


def test_holds_and_a_two_person_disposal_from_the_command_line(
    stack: str,
    tmp_path: Path,
    settings: Settings,
    signed_pdf: Callable[..., bytes],
    metadata: Callable[..., dict[str, Any]],
) -> None:
    schedule = tmp_path / "s.json"
    schedule.write_text(json.dumps({TYPE: 5}), encoding="utf-8")
    settings = settings.model_copy(update={"retention_schedule": schedule})
    services = build_services(settings)
    try:
        ids = [
            services.deposit.deposit(
                signed_pdf("GIẤY XÁC NHẬN", ("Số", f"cli-{n}")),
                f"{n}.pdf",
                metadata(result_type=TYPE, issued_on="2010-01-02"),
                Access.system(),
            ).record["record_id"]
            for n in range(2)
        ]
        make_user(services, "luutru", "records_manager", agency=None, password="luutru-demo")
        make_user(services, "luutru2", "records_manager", agency=None, password="luutru2-demo")
    finally:
        services.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KHO_")}
    overrides = {**settings_overrides(stack, tmp_path), "retention_schedule": schedule}
    for name in ("minio_bucket", "es_index"):
        if name in overrides:
            overrides[name] = getattr(settings, name)
    env.update({f"KHO_{k.upper()}": str(v) for k, v in overrides.items()})
    env.update(
        {"KHO_TRUST_ROOTS": ":".join(map(str, settings.trust_roots))}
        if settings.trust_roots
        else {}
    )

    def kho(*args: str, password: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [KHO, *args],
            input=password + "\n",
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    held = kho(
        "holds",
        "place",
        "--as",
        "luutru",
        "--reason",
        "Thanh tra",
        "--record",
        ids[0],
        password="luutru-demo",
    )
    assert held.returncode == 0, held.stderr
    hold_id = json.loads(held.stdout)["hold_id"]
    wrong = kho(
        "disposal", "propose", "--as", "luutru", "--reason", "x", "--all-due", password="sai"
    )
    assert wrong.returncode == 1 and "Traceback" not in wrong.stderr
    proposed = kho(
        "disposal",
        "propose",
        "--as",
        "luutru",
        "--reason",
        "Hết thời hạn",
        "--all-due",
        password="luutru-demo",
    )
    assert proposed.returncode == 0, proposed.stderr
    batch = json.loads(proposed.stdout)
    assert batch["count"] == 1  # the held record is not proposed
    same = kho("disposal", "approve", "--as", "luutru", batch["batch_id"], password="luutru-demo")
    assert same.returncode == 1 and "another person" in same.stderr
    done = kho("disposal", "approve", "--as", "luutru2", batch["batch_id"], password="luutru2-demo")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "executed"
    cert = kho(
        "disposal",
        "certificate",
        "--as",
        "luutru",
        batch["batch_id"],
        "--html",
        str(tmp_path / "bb.html"),
        password="luutru-demo",
    )
    assert cert.returncode == 0, cert.stderr
    assert json.loads(cert.stdout)["record_ids"] == [ids[1]]
    assert "BIÊN BẢN HỦY" in (tmp_path / "bb.html").read_text(encoding="utf-8")
    released = kho(
        "holds", "release", hold_id, "--as", "luutru2", "--reason", "Xong", password="luutru2-demo"
    )
    assert released.returncode == 0 and json.loads(released.stdout)["active"] is False
    due = kho("retention", "run")
    assert [json.loads(line)["record"]["record_id"] for line in due.stdout.splitlines()] == [ids[0]]
