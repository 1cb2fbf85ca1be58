"""`kho serve --workers 2`: two processes over one archive. Concurrent deposits all land,
indexed once; the rate limit holds across the workers; /metrics sums them; the audit trail
stays one chain (`kho audit verify`)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.server import PURPOSE, create_key, deposit, kho, kho_env, serving

from kho.demo.pki import TestPKI

LIMIT = 40  # requests a minute per key


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _metric(text: str, name: str) -> float:
    return sum(
        float(m.group(1)) for m in re.finditer(rf"^{name}(?:{{[^}}]*}})? (\S+)$", text, re.M)
    )


@pytest.mark.slow
def test_two_workers_share_one_archive(
    stack: str,
    tmp_path: Path,
    pki: TestPKI,
    signed_pdf: Callable[..., bytes],
    metadata: Callable[..., dict[str, Any]],
) -> None:
    env = kho_env(stack, tmp_path, pki, rate_limit_per_minute=LIMIT)
    depositor = create_key(env)
    reader = create_key(env, "records:read")
    pdfs = [signed_pdf("GIẤY KHAI SINH", ("Số thứ tự", f"hai-tien-trinh-{n}")) for n in range(12)]
    metas = [metadata() for _ in pdfs]

    with serving(env, "--workers", "2", log=tmp_path / "serve.log") as server:
        assert len(_children(server.proc.pid)) >= 2  # the workers (and no more than a helper)

        def put(n: int) -> httpx.Response:
            with httpx.Client(base_url=server.base, timeout=120) as client:
                return deposit(client, depositor, pdfs[n], metas[n])

        with ThreadPoolExecutor(max_workers=4) as pool:
            deposited = list(pool.map(put, range(len(pdfs))))
        assert [r.status_code for r in deposited] == [201] * len(pdfs), [
            r.text for r in deposited if r.status_code != 201
        ]
        record_ids = {r.json()["record_id"] for r in deposited}
        assert len(record_ids) == len(pdfs)
        unindexed = [r.json()["record_id"] for r in deposited if not r.json()["indexed"]]

        # Twice the allowance at once, spread over both workers: about one allowance passes
        # (per-process buckets would let all of it through).
        headers = {"Authorization": f"Bearer {reader}", "X-Dossier-Code": PURPOSE}

        def look(_n: int) -> int:
            with httpx.Client(base_url=server.base, timeout=60) as client:
                got = client.get("/api/v1/subjects/001203001234/records", headers=headers)
                return got.status_code

        began = time.monotonic()
        with ThreadPoolExecutor(max_workers=8) as pool:
            codes = list(pool.map(look, range(2 * LIMIT)))
        refill = (time.monotonic() - began) * LIMIT / 60 + 1
        passed = codes.count(200)
        assert set(codes) <= {200, 429}
        assert LIMIT <= passed <= LIMIT + refill, (passed, refill)

        # Whichever worker answers /metrics counts both.
        text = httpx.get(f"{server.base}/metrics").text
        assert _metric(text, "kho_lookups_total") == passed
        assert _metric(text, "kho_rate_limited_total") == codes.count(429)
        assert _metric(text, "kho_deposits_total") == len(pdfs)

        # Every deposit is found, whichever worker indexed it, and reusable. The depositor's
        # key polls at half its allowance (a 429 is no answer), the indications shown if not.
        seen: dict[str, Any] = {}
        deadline = time.monotonic() + 90
        while True:
            with httpx.Client(base_url=server.base, timeout=60) as client:
                found = client.get(
                    "/api/v1/subjects/001203001234/records",
                    headers={"Authorization": f"Bearer {depositor}", "X-Dossier-Code": PURPOSE},
                    params={"page_size": 100, "include_invalid": "true"},
                )
            if found.status_code == 200:
                seen = {i["record_id"]: i for i in found.json()["items"]}
                if record_ids <= seen.keys():
                    break
            assert found.status_code in (200, 429), found.text
            assert time.monotonic() < deadline, (
                sorted(record_ids - seen.keys()),
                unindexed,
                (tmp_path / "serve.log").read_text(errors="replace")[-3000:],
            )
            time.sleep(3)
        unusable = {
            r: (seen[r]["reuse_blockers"], seen[r]["signature"])
            for r in record_ids
            if not seen[r]["reusable"]
        }
        assert not unusable, unusable

    verified = kho(env, "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    report = json.loads(verified.stdout)
    # one chain holding every deposit and lookup event of both workers
    assert report["events"] >= len(pdfs) + passed
    fixity = kho(env, "fixity")
    assert fixity.returncode == 0, fixity.stdout + fixity.stderr
