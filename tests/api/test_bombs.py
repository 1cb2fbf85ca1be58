"""Decompression bombs at the deposit door, on every stack: an unsigned file is refused
before any extraction work; a signed bomb gets a quick 422 problem+json and leaves nothing
in the store."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from support.api import assert_problem
from support.bombs import bomb_pdf

from kho.demo.pki import TestPKI
from kho.indexer.extract import PDF_MEDIA_TYPE, Extraction, Extractor
from kho.services import Services

Meta = Callable[..., dict[str, Any]]


class CountingExtractor:
    """The real extractor, counting how often it is asked to work."""

    def __init__(self, inner: Extractor) -> None:
        self.inner = inner
        self.name = inner.name
        self.calls = 0

    def extract(self, data: bytes, *, media_type: str = PDF_MEDIA_TYPE) -> Extraction:
        self.calls += 1
        return self.inner.extract(data, media_type=media_type)

    def check(self) -> None:
        self.inner.check()

    def close(self) -> None:
        self.inner.close()


def post(client: TestClient, headers: dict[str, str], pdf: bytes, meta: dict[str, Any]) -> Any:
    import json

    return client.post(
        "/api/v1/records",
        headers={"Authorization": headers["Authorization"]},
        files={"file": ("bomb.pdf", pdf, "application/pdf")},
        data={"metadata": json.dumps(meta, ensure_ascii=False)},
    )


def test_an_unsigned_file_is_refused_before_any_extraction_work(
    client: TestClient, headers: dict[str, str], services: Services, metadata: Meta
) -> None:
    counting = CountingExtractor(services.backends.extractor)
    services.backends.extractor = counting
    problem = assert_problem(post(client, headers, bomb_pdf(10), metadata()), 422)
    assert "no digital signature" in problem["detail"]
    assert counting.calls == 0


def test_a_signed_bomb_is_refused_quickly_and_nothing_is_written(
    client: TestClient, headers: dict[str, str], services: Services, metadata: Meta, pki: TestPKI
) -> None:
    bomb = pki.sign_pdf(bomb_pdf(10))
    assert len(bomb) < 60_000
    started = time.monotonic()
    response = post(client, headers, bomb, metadata())
    elapsed = time.monotonic() - started
    problem = assert_problem(response, 422)
    assert "inflates to more than 4 MB" in problem["detail"]
    assert elapsed < 5.0, elapsed
    store = services.backends.store
    for prefix in ("originals/", "records/", "claims/", "outbox/"):
        assert list(store.list(prefix)) == [], prefix
