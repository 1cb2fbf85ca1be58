"""Helpers for the web UI's tests: accounts made through the service, signing in with the
CSRF token of the login form, and the token of any page."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from kho.services import Access, Services
from kho.services.users import User

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_user(
    services: Services,
    username: str = "canbo",
    role: str = "officer",
    *,
    password: str | None = None,
    name: str | None = "Nguyễn Thị Hoa",
    agency: str | None = "000.00.15.H62",
) -> User:
    return services.users.create(
        username,
        password or f"{username}-demo",
        role,
        name=name,
        agency=agency,
        access=Access.system(),
    )


def csrf_of(client: TestClient, path: str = "/login") -> str:
    """The CSRF token in the forms of the page at `path`."""
    page = client.get(path)
    found = CSRF.search(page.text)
    assert found, f"no csrf_token on {path} ({page.status_code})"
    return found.group(1)


def login(
    client: TestClient, username: str = "canbo", password: str | None = None, **extra: Any
) -> Any:
    """POST /login as the form does; returns the response (303 on success), not followed."""
    token = csrf_of(client, "/login")
    return client.post(
        "/login",
        data={
            "username": username,
            "password": password or f"{username}-demo",
            "csrf_token": token,
            **extra,
        },
        follow_redirects=False,
    )


def post_form(client: TestClient, path: str, data: dict[str, str], *, page: str = "/") -> Any:
    """POST `data` to `path` with the session's CSRF token (read from `page`)."""
    return client.post(
        path, data={**data, "csrf_token": csrf_of(client, page)}, follow_redirects=False
    )
