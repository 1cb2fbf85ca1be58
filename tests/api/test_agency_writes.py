"""A key deposits, supersedes and revokes only for its own agency or the agencies it was made
on behalf of (security review, High): a foreign key cannot slip a forgery in front of an
agency's genuine result."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from support.api import PURPOSE, assert_problem, deposit

from kho.services import Services

DUC = "001203001234"
H62 = "000.00.15.H62"
H63 = "000.00.15.H63"
PROVINCE = "000.00.00.H62"
Meta = Callable[..., dict[str, Any]]
Pdf = Callable[..., bytes]


def key_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "X-Dossier-Code": PURPOSE}


def stored(services: Services) -> set[str]:
    return {
        k
        for k in services.backends.store.list("")
        if k.startswith(("records/", "claims/", "content/", "originals/"))
    }


def test_a_key_of_another_agency_cannot_deposit_under_this_one(
    client: TestClient,
    signed_pdf: Pdf,
    metadata: Meta,
    make_key: Callable[..., str],
    services: Services,
) -> None:
    foreign = key_headers(make_key("records:read,records:write", agency=H63))
    before = stored(services)
    body = assert_problem(
        client.post(
            "/api/v1/records",
            headers={"Authorization": foreign["Authorization"]},
            files={"file": ("a.pdf", signed_pdf(), "application/pdf")},
            data={"metadata": json.dumps(metadata(issuer_code=H62))},
        ),
        403,
        "forbidden",
    )
    assert H63 in body["detail"] and body["field"] == "issuer_code"
    assert stored(services) == before  # nothing half-written
    # Its own agency's results it deposits as before.
    own = metadata(
        issuer_code=H63,
        result_code="H63-KQ-2026-0001",
        dossier_code=None,
    )
    assert deposit(client, foreign, signed_pdf("GIẤY CỦA H63"), own)["issuer_code"] == H63


def test_a_forged_redeposit_superseding_the_genuine_result_is_refused(
    client: TestClient,
    headers: dict[str, str],
    signed_pdf: Pdf,
    metadata: Meta,
    make_key: Callable[..., str],
) -> None:
    """The review's attack: a key of H63 re-deposits H62's result with a self-signed PDF and
    `supersedes` pointing at the genuine one, so that lookups show the forgery."""
    meta = metadata()
    genuine = deposit(client, headers, signed_pdf(), meta)["record_id"]
    foreign = key_headers(make_key("records:read,records:write", agency=H63))
    forged = signed_pdf("GIẤY KHAI SINH", signer="untrusted")

    def attempt(fields: dict[str, Any]) -> None:
        assert_problem(
            client.post(
                "/api/v1/records",
                headers={"Authorization": foreign["Authorization"]},
                files={"file": ("forged.pdf", forged, "application/pdf")},
                data={"metadata": json.dumps(fields, ensure_ascii=False)},
            ),
            403,
            "forbidden",
        )

    # under H62's own result code, and under an H63 code of its own: both refused
    attempt({**meta, "supersedes": genuine})
    attempt(
        {
            **meta,
            "issuer_code": H63,
            "result_code": "H63-KQ-2026-0002",
            "dossier_code": None,
            "supersedes": genuine,
        }
    )
    # the genuine record is still what the lookup offers, still valid
    found = client.get(f"/api/v1/subjects/{DUC}/records", headers=headers).json()
    assert [(i["record_id"], i["status"], i["reusable"]) for i in found["items"]] == [
        (genuine, "valid", True)
    ]
    # and the /supersede and /revoke endpoints refuse the foreign key the same way
    assert_problem(
        client.post(f"/api/v1/records/{genuine}/revoke", headers=foreign, json={"reason": "x"}),
        403,
    )


def test_a_key_made_on_behalf_of_agencies_acts_for_them_only(
    client: TestClient,
    headers: dict[str, str],
    signed_pdf: Pdf,
    metadata: Meta,
    make_key: Callable[..., str],
) -> None:
    one_door = key_headers(
        make_key("records:read,records:write", agency=PROVINCE, on_behalf_of=frozenset({H62}))
    )
    old = deposit(client, one_door, signed_pdf("BẢN CŨ"), metadata())
    assert old["issuer_code"] == H62
    new = deposit(client, one_door, signed_pdf("BẢN MỚI"), metadata(supersedes=old["record_id"]))
    assert client.get(f"/api/v1/records/{old['record_id']}", headers=one_door).json()["status"] == (
        "superseded"
    )
    revoked = client.post(
        f"/api/v1/records/{new['record_id']}/revoke", headers=one_door, json={"reason": "Cấp sai"}
    )
    assert revoked.status_code == 200, revoked.text
    # not for an agency it was not made for
    other = metadata(issuer_code=H63, result_code="H63-KQ-2026-0003", dossier_code=None)
    response = client.post(
        "/api/v1/records",
        headers={"Authorization": one_door["Authorization"]},
        files={"file": ("a.pdf", signed_pdf("GIẤY CỦA H63, GỬI HỘ"), "application/pdf")},
        data={"metadata": json.dumps(other, ensure_ascii=False)},
    )
    assert_problem(response, 403, "forbidden")
    # a plain H63 key cannot supersede H62's result either, by endpoint
    h63 = key_headers(make_key("records:read,records:write", agency=H63))
    mine = deposit(
        client,
        h63,
        signed_pdf("GIẤY CỦA H63"),
        metadata(issuer_code=H63, result_code="H63-KQ-2026-0004", dossier_code=None),
    )
    target = deposit(client, headers, signed_pdf("GIẤY CỦA H62"), metadata())["record_id"]
    assert_problem(
        client.post(
            f"/api/v1/records/{target}/supersede",
            headers=h63,
            json={"superseded_by": mine["record_id"]},
        ),
        403,
    )


def test_keys_record_their_on_behalf_of_agencies(
    client: TestClient, headers: dict[str, str]
) -> None:
    created = client.post(
        "/api/v1/keys",
        headers=headers,
        json={"agency": PROVINCE, "scopes": ["records:write"], "on_behalf_of": [H62, H63]},
    )
    assert created.status_code == 201, created.text
    assert created.json()["on_behalf_of"] == [H62, H63]
    listed = client.get(f"/api/v1/keys/{created.json()['key_id']}", headers=headers).json()
    assert listed["on_behalf_of"] == [H62, H63]
    plain = client.post(
        "/api/v1/keys", headers=headers, json={"agency": H63, "scopes": ["records:write"]}
    ).json()
    assert plain["on_behalf_of"] == []
    assert_problem(
        client.post(
            "/api/v1/keys",
            headers=headers,
            json={"agency": PROVINCE, "scopes": ["records:write"], "on_behalf_of": ["x y"]},
        ),
        422,
    )
