"""The committed OpenAPI document is the app's, and it is enough to write a client from."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from kho.api.spec import committed_spec, current_spec


def test_committed_spec_is_the_apps() -> None:
    assert current_spec() == committed_spec(), (
        "api/openapi.json is out of date: run `kho openapi -o api/openapi.json`"
    )


def test_the_served_document_is_the_committed_one(client: TestClient) -> None:
    assert client.get("/api/v1/openapi.json").json() == json.loads(committed_spec())


def test_every_operation_is_documented_with_its_problems() -> None:
    spec = json.loads(committed_spec())
    assert spec["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    operations = [
        (path, method, op)
        for path, item in spec["paths"].items()
        if path.startswith("/api/v1")
        for method, op in item.items()
    ]
    assert len(operations) >= 18
    for path, method, op in operations:
        where = f"{method.upper()} {path}"
        assert op.get("summary"), where
        statuses = set(op["responses"])
        assert statuses & {"200", "201"}, where
        if op.get("security") and path != "/api/v1/openapi.json":
            assert {"401", "403", "429"} <= statuses, where
        for status, response in op["responses"].items():
            if int(status) >= 400:
                content = response["content"]
                assert list(content) == ["application/problem+json"], (where, status)
                problem = content["application/problem+json"]
                assert problem["schema"] == {"$ref": "#/components/schemas/Problem"}
                assert problem["example"]["status"] == int(status), (where, status)
        if "429" in statuses:
            assert "Retry-After" in op["responses"]["429"]["headers"]
    reads = [
        op
        for path, method, op in operations
        if path.startswith(("/api/v1/subjects", "/api/v1/records/{record_id}", "/api/v1/search"))
        and method == "get"
    ]
    for op in reads:
        names = {p["name"] for p in op.get("parameters", [])}
        assert "X-Dossier-Code" in names


def test_examples_are_vietnamese() -> None:
    text = committed_spec()
    for phrase in ("Giấy khai sinh", "Trần Văn Đức", "Thủ tục đăng ký khai sinh", "thu hồi"):
        assert phrase in text, phrase
