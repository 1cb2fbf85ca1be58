"""An acknowledged API deposit survives kill -9 of `kho serve`, at random points, again and
again: every record answered 201 is intact and readable, no partial record is visible,
`kho fixity` and `kho audit verify` pass, and depositing everything again completes with no
duplicate (DESIGN.md "Bad input and failure").

The kill times are random; the seed is printed on failure (KHO_CRASH_SEED replays it).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.server import PURPOSE, Server, create_key, deposit, kho, kho_env, settings_of

from kho.demo.pki import TestPKI
from kho.services import Access
from kho.wiring import build_services

INPUTS = 20
KILLS = 3
CLIENTS = 3


@pytest.mark.slow
def test_kill_9_of_kho_serve_during_api_deposits_loses_nothing_acknowledged(
    stack: str,
    tmp_path: Path,
    pki: TestPKI,
    signed_pdf: Callable[..., bytes],
    metadata: Callable[..., dict[str, Any]],
) -> None:
    seed = int(os.environ.get("KHO_CRASH_SEED") or time.time_ns() % 1_000_000)
    rng = random.Random(seed)
    env = kho_env(stack, tmp_path, pki)
    token = create_key(env)
    inputs = [
        (signed_pdf("GIẤY KHAI SINH", ("Số thứ tự", f"sap-do-{n}")), metadata())
        for n in range(INPUTS)
    ]
    acknowledged: dict[int, str] = {}  # input -> record_id of its 201 (or 200)
    lock = threading.Lock()

    def client_loop(server: Server, todo: list[int]) -> None:
        with httpx.Client(base_url=server.base, timeout=120) as client:
            while True:
                with lock:
                    if not todo:
                        return
                    n = todo.pop()
                try:
                    response = deposit(client, token, *inputs[n])
                except httpx.HTTPError:
                    return  # the server died under this request: unknown, re-sent later
                assert response.status_code in (200, 201), (seed, response.text)
                with lock:
                    record_id = response.json()["record_id"]
                    assert acknowledged.setdefault(n, record_id) == record_id, seed
                    if response.status_code == 201:
                        acknowledged[n] = record_id

    for _round in range(KILLS):
        server = Server.start(env)
        todo = [n for n in range(INPUTS) if n not in acknowledged]
        rng.shuffle(todo)
        threads = [
            threading.Thread(target=client_loop, args=(server, todo)) for _ in range(CLIENTS)
        ]
        for thread in threads:
            thread.start()
        # Somewhere among the deposits: after a few more answers, a random moment later.
        wanted = len(acknowledged) + rng.randint(1, 3)
        deadline = time.monotonic() + 120
        while len(acknowledged) < wanted and todo and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.5))
        server.kill()
        for thread in threads:
            thread.join(timeout=120)

    # Straight after the crashes, before anything repairs: what is visible is whole.
    settings = settings_of(env)
    services = build_services(settings)
    access = Access.system(purpose=PURPOSE)
    try:
        for n, record_id in acknowledged.items():
            view = services.records.get(record_id, access)
            content = b"".join(services.records.content(record_id, access).chunks)
            assert hashlib.sha256(content).hexdigest() == view["sha256"]
            assert content == inputs[n][0], seed
        for claim in services.backends.packages.claims():
            manifest = services.backends.packages.latest_manifest(claim.record_id)
            assert manifest.file.sha256 == claim.sha256
            assert services.backends.packages.get_text(claim.record_id)
    finally:
        services.close()
    for command in (("fixity",), ("audit", "verify")):
        checked = kho(env, *command)
        assert checked.returncode == 0, (seed, command, checked.stdout, checked.stderr)

    # Everything again, on a server that runs to the end: nothing duplicated.
    with httpx.Client(timeout=120) as client:
        server = Server.start(env)
        try:
            client.base_url = httpx.URL(server.base)
            for n, (pdf, meta) in enumerate(inputs):
                response = deposit(client, token, pdf, meta)
                assert response.status_code in (200, 201), (seed, response.text)
                if n in acknowledged:
                    assert response.status_code == 200, seed
                    assert response.json()["record_id"] == acknowledged[n], seed
        finally:
            server.stop()
    services = build_services(settings)
    try:
        record_ids = list(services.backends.packages.record_ids())
        assert len(record_ids) == len(set(record_ids)) == INPUTS, seed
        services.indexing.drain_outbox()
        assert services.backends.index.count() == INPUTS, seed
    finally:
        services.close()
    for command in (("fixity",), ("audit", "verify")):
        checked = kho(env, *command)
        assert checked.returncode == 0, (seed, command, checked.stdout, checked.stderr)
    print(json.dumps({"seed": seed, "acknowledged_before_rerun": len(acknowledged)}))
    assert acknowledged, "no deposit was answered before the kills: the test proved nothing"
