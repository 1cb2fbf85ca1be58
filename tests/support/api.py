"""Helpers for the API tests: deposit through HTTP, read problems, read the audit trail."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

from kho.services import Services

PURPOSE = "000.00.15.H62-261123-0001"


def deposit(
    client: TestClient,
    headers: dict[str, str],
    pdf: bytes,
    meta: dict[str, Any],
    *,
    filename: str = "ket-qua.pdf",
    expect: int = 201,
) -> dict[str, Any]:
    response = client.post(
        "/api/v1/records",
        headers={"Authorization": headers["Authorization"]},
        files={"file": (filename, pdf, "application/pdf")},
        data={"metadata": json.dumps(meta, ensure_ascii=False)},
    )
    assert response.status_code == expect, response.text
    body: dict[str, Any] = response.json()
    return body


def assert_problem(response: Response, status: int, kind: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"].startswith("/problems/")
    assert body["title"] and "detail" in body
    if kind is not None:
        assert body["type"] == f"/problems/{kind}", body
    return body


def audit_events(services: Services, **filters: Any) -> list[dict[str, Any]]:
    """Events straight from the trail (the record), oldest first."""
    events = [e.to_json() for e in services.backends.trail.events()]
    return [e for e in events if all(e.get(k) == v for k, v in filters.items())]
