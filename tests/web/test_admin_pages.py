"""The administrators' pages: accounts (create, disable, reset the password) and API keys
(create with scopes and on-behalf-of agencies, list, revoke; the secret shown once), for
admins only, each change audited with the admin's name."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from support.web import csrf_of, login, make_user, post_form

from kho.server import create_app
from kho.services import Services


@pytest.fixture
def admin(services: Services) -> Iterator[TestClient]:
    make_user(services, "quantri", "admin", agency=None)
    make_user(services, "canbo", "officer")
    with TestClient(create_app(services, outbox_worker=False)) as client:
        assert login(client, "quantri").status_code == 303
        yield client


def actions(services: Services) -> list[tuple[str, str | None, dict[str, object]]]:
    return [
        (e.action, e.actor.get("user"), dict(e.detail)) for e in services.backends.trail.events()
    ]


def test_only_admins_see_the_admin_pages(services: Services) -> None:
    make_user(services, "canbo", "officer")
    make_user(services, "kiemtra", "auditor", agency=None)
    with TestClient(create_app(services, outbox_worker=False)) as client:
        for username in ("canbo", "kiemtra"):
            client.cookies.clear()
            login(client, username)
            home = client.get("/").text
            assert 'href="/admin"' not in home
            for path in ("/admin/users", "/admin/keys"):
                page = client.get(path)
                assert page.status_code == 403 and "không dành cho vai trò" in page.text
            token = csrf_of(client, "/")
            refused = client.post(
                "/admin/users",
                data={"username": "x1", "role": "admin", "password": "p" * 10, "csrf_token": token},
            )
            assert refused.status_code == 403
        assert [u.username for u in services.users.list()] == ["canbo", "kiemtra"]


def test_an_admin_creates_disables_and_resets_accounts(
    admin: TestClient, services: Services
) -> None:
    page = admin.get("/admin/users")
    assert page.status_code == 200 and 'data-username="canbo"' in page.text
    assert 'href="/admin"' in page.text  # the menu entry
    made = post_form(
        admin,
        "/admin/users",
        {
            "username": "luutru",
            "role": "records_manager",
            "name": "Phạm Thu Trang",
            "agency": "",
            "password": "luutru-demo",
        },
        page="/admin/users",
    )
    assert made.status_code == 303
    listed = admin.get(made.headers["location"]).text
    assert "Đã tạo tài khoản." in listed and "Phạm Thu Trang" in listed
    user = services.users.get("luutru")
    assert user.role == "records_manager" and user.name == "Phạm Thu Trang"

    again = post_form(
        admin,
        "/admin/users",
        {"username": "luutru", "role": "officer", "password": "another-one"},
        page="/admin/users",
    )
    assert again.status_code == 422 and "already exists" in again.text
    short = post_form(
        admin,
        "/admin/users",
        {"username": "ngan", "role": "officer", "password": "short"},
        page="/admin/users",
    )
    assert short.status_code == 422 and "shorter than 8" in short.text
    assert 'value="ngan"' in short.text  # the form keeps what was typed

    reset = post_form(
        admin, "/admin/users/luutru/password", {"password": "a-new-secret"}, page="/admin/users"
    )
    assert reset.status_code == 303
    services.users.authenticate("luutru", "a-new-secret")
    disabled = post_form(admin, "/admin/users/luutru/disable", {}, page="/admin/users")
    assert disabled.status_code == 303
    assert services.users.get("luutru").disabled
    assert 'data-username="luutru" data-disabled="true"' in admin.get("/admin/users").text
    enabled = post_form(admin, "/admin/users/luutru/enable", {}, page="/admin/users")
    assert enabled.status_code == 303 and not services.users.get("luutru").disabled
    services.users.authenticate("luutru", "a-new-secret")
    myself = post_form(admin, "/admin/users/quantri/disable", {}, page="/admin/users")
    assert myself.status_code == 422 and not services.users.get("quantri").disabled
    done = [(a, u, d.get("username")) for a, u, d in actions(services)]
    assert ("user.create", "quantri", "luutru") in done
    assert ("user.reset-password", "quantri", "luutru") in done
    assert ("user.disable", "quantri", "luutru") in done
    assert ("user.enable", "quantri", "luutru") in done


def test_an_admin_makes_a_key_sees_its_secret_once_and_revokes_it(
    admin: TestClient, services: Services
) -> None:
    token = csrf_of(admin, "/admin/keys")
    made = admin.post(
        "/admin/keys",
        data={
            "agency": "000.00.15.H62",
            "scopes": ["records:read", "records:write"],
            "on_behalf_of": "000.00.16.H62, 000.00.17.H62",
            "label": "Một cửa tỉnh",
            "csrf_token": token,
        },
    )
    assert made.status_code == 200
    secret = re.search(r'data-token="true">(kho_[^<]+)<', made.text)
    assert secret, made.text
    key = services.keys.authenticate(secret.group(1))
    assert key.scopes == {"records:read", "records:write"}
    assert key.on_behalf_of == {"000.00.16.H62", "000.00.17.H62"} and key.label == "Một cửa tỉnh"
    listing = admin.get("/admin/keys").text
    assert f'data-key-id="{key.key_id}"' in listing and secret.group(1) not in listing
    # The secret is usable at the API.
    api = admin.get(
        "/api/v1/subjects/001203001234/records",
        headers={
            "Authorization": f"Bearer {secret.group(1)}",
            "X-Dossier-Code": "000.00.15.H62-261123-0001",
        },
    )
    assert api.status_code == 200

    no_scope = admin.post(
        "/admin/keys", data={"agency": "000.00.15.H62", "csrf_token": csrf_of(admin, "/admin/keys")}
    )
    assert no_scope.status_code == 422 and "scope" in no_scope.text
    bad_agency = admin.post(
        "/admin/keys",
        data={
            "agency": "không có",
            "scopes": "records:read",
            "csrf_token": csrf_of(admin, "/admin/keys"),
        },
    )
    assert bad_agency.status_code == 422 and 'value="không có"' in bad_agency.text

    revoked = post_form(admin, f"/admin/keys/{key.key_id}/revoke", {}, page="/admin/keys")
    assert revoked.status_code == 303
    assert services.keys.get(key.key_id).revoked_at is not None
    assert f'data-key-id="{key.key_id}" data-revoked="true"' in admin.get("/admin/keys").text
    unknown = post_form(admin, "/admin/keys/0123456789abcdef/revoke", {}, page="/admin/keys")
    assert unknown.status_code == 404
    done = [(a, u) for a, u, _ in actions(services)]
    assert ("key.create", "quantri") in done and ("key.revoke", "quantri") in done


def test_admin_forms_need_the_csrf_token(admin: TestClient, services: Services) -> None:
    refused = admin.post("/admin/keys", data={"agency": "000.00.15.H62", "scopes": "records:read"})
    assert refused.status_code == 403
    assert services.keys.list() == []
    assert admin.post("/admin/users/canbo/disable").status_code == 403
    assert not services.users.get("canbo").disabled
