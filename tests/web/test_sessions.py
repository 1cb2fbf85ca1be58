"""Signing in and out of the web UI (CONTRACT.md "Web UI (people)"): sessions in signed,
HttpOnly, SameSite cookies with an idle timeout; lockout after 5 failures; every attempt
audited; CSRF on every POST; every page but /login behind a session; the language switch;
the security headers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from support.web import csrf_of, login, make_user, post_form

from kho.server import create_app
from kho.services import Services


@pytest.fixture
def web(services: Services) -> Iterator[TestClient]:
    make_user(services, "canbo", "officer")
    with TestClient(create_app(services, outbox_worker=False)) as client:
        yield client


def events(services: Services, prefix: str = "user.") -> list[tuple[str, str, dict[str, object]]]:
    return [
        (e.action, e.outcome, dict(e.detail))
        for e in services.backends.trail.events()
        if e.action.startswith(prefix)
    ]


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now().astimezone()

    def __call__(self) -> datetime:
        return self.now


def test_pages_need_a_session_and_send_to_login_with_next(web: TestClient) -> None:
    for path in ("/", "/admin/users", "/?q=001203001234&x=1"):
        response = web.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        location = response.headers["location"]
        assert location.startswith("/login")
        if path != "/":
            assert location == f"/login?next={path}"
    page = web.get("/login?next=/admin/users")
    assert page.status_code == 200
    assert 'name="username"' in page.text and 'name="password"' in page.text
    assert 'value="/admin/users"' in page.text


def test_login_sets_a_signed_httponly_samesite_cookie_and_goes_next(
    web: TestClient, services: Services
) -> None:
    response = login(web, next="/?from=login")
    assert response.status_code == 303 and response.headers["location"] == "/?from=login"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("kho_session=")
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    home = web.get("/")
    assert home.status_code == 200 and 'data-username="canbo"' in home.text
    assert "Số kết quả đã lập chỉ mục" in home.text
    assert ("user.login", "ok", {"username": "canbo", "client": "testclient"}) in events(services)
    # A tampered cookie is no session.
    value = web.cookies["kho_session"]
    web.cookies.set("kho_session", value[:-3] + ("AAA" if value[-3:] != "AAA" else "BBB"))
    assert web.get("/", follow_redirects=False).status_code == 303


def test_a_wrong_password_gets_the_form_again_with_a_message_and_no_session(
    web: TestClient, services: Services
) -> None:
    response = login(web, password="not-the-password")
    assert response.status_code == 200
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in response.text
    assert web.get("/", follow_redirects=False).status_code == 303
    unknown = login(web, username="nobody", password="whatever-1")
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in unknown.text
    refused = [(a, o, d.get("reason")) for a, o, d in events(services)]
    assert ("user.login", "refused", "wrong-password") in refused
    assert ("user.login", "refused", "unknown") in refused


def test_five_failures_lock_the_account_for_15_minutes(web: TestClient, services: Services) -> None:
    clock = Clock()
    services.backends.clock = clock
    for _ in range(4):
        assert "không đúng" in login(web, password="wrong-password").text
    fifth = login(web, password="wrong-password")
    assert "Tài khoản tạm khóa" in fifth.text
    # Locked: even the right password is refused, and says so.
    right = login(web)
    assert right.status_code == 200 and "Tài khoản tạm khóa" in right.text
    clock.now += timedelta(minutes=14)
    assert "Tài khoản tạm khóa" in login(web).text
    clock.now += timedelta(minutes=2)
    assert login(web).status_code == 303
    seen = [(a, o, d.get("reason")) for a, o, d in events(services)]
    assert seen.count(("user.login", "refused", "wrong-password")) == 5
    assert ("user.lockout", "ok", None) in seen
    assert seen.count(("user.login", "refused", "locked")) == 2
    assert seen[-1] == ("user.login", "ok", None)


def test_a_success_resets_the_count_of_failures(web: TestClient, services: Services) -> None:
    for _ in range(4):
        login(web, password="wrong-password")
    assert login(web).status_code == 303
    assert services.users.get("canbo").failures == 0
    for _ in range(4):
        login(web, password="wrong-password")
    assert login(web).status_code == 303


def test_an_idle_session_ends(web: TestClient, services: Services) -> None:
    clock = Clock()
    services.backends.clock = clock
    assert login(web).status_code == 303
    clock.now += timedelta(minutes=29)
    assert web.get("/", follow_redirects=False).status_code == 200  # and renews the session
    clock.now += timedelta(minutes=29)
    assert web.get("/", follow_redirects=False).status_code == 200
    clock.now += timedelta(minutes=31)
    gone = web.get("/admin/users", follow_redirects=False)
    assert gone.status_code == 303
    assert gone.headers["location"] == "/login?next=/admin/users&expired=1"
    assert "Phiên làm việc đã hết hạn" in web.get(gone.headers["location"]).text
    assert web.get("/", follow_redirects=False).status_code == 303


def test_a_disabled_account_or_a_new_password_ends_its_sessions(
    web: TestClient, services: Services
) -> None:
    from kho.services import Access

    assert login(web).status_code == 303
    services.users.reset_password("canbo", "a-new-password", Access.system())
    assert web.get("/", follow_redirects=False).status_code == 303
    assert login(web, password="a-new-password").status_code == 303
    services.users.disable("canbo", Access.system())
    assert web.get("/", follow_redirects=False).status_code == 303
    refused = login(web, password="a-new-password")
    assert "vô hiệu hóa" in refused.text
    assert ("user.login", "refused", "disabled") in [
        (a, o, d.get("reason")) for a, o, d in events(services)
    ]


def test_logout_ends_the_session_and_is_audited(web: TestClient, services: Services) -> None:
    login(web)
    token = csrf_of(web, "/")
    assert web.post("/logout", data={}, follow_redirects=False).status_code == 403
    out = web.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert web.get("/", follow_redirects=False).status_code == 303
    assert ("user.logout", "ok") in [(a, o) for a, o, _ in events(services)]


def test_every_post_needs_the_sessions_csrf_token(web: TestClient, services: Services) -> None:
    token = csrf_of(web, "/login")
    no_token = web.post("/login", data={"username": "canbo", "password": "canbo-demo"})
    assert no_token.status_code == 403
    other = web.post(
        "/login", data={"username": "canbo", "password": "canbo-demo", "csrf_token": token + "x"}
    )
    assert other.status_code == 403
    assert not [e for e in events(services) if e[0] == "user.login"]  # refused before
    login(web)
    # The token changes when one signs in; the old one no longer works.
    stale = web.post(
        "/dossier", data={"dossier_code": "000.00.15.H62-261123-0001", "csrf_token": token}
    )
    assert stale.status_code == 403 and "Biểu mẫu đã hết hạn" in stale.text
    assert (
        web.post("/dossier", data={"dossier_code": "000.00.15.H62-261123-0001"}).status_code == 403
    )
    header = web.post(
        "/dossier",
        data={"dossier_code": "000.00.15.H62-261123-0001"},
        headers={"X-CSRF-Token": csrf_of(web, "/")},
        follow_redirects=False,
    )
    assert header.status_code == 303


def test_a_token_from_another_session_is_refused(services: Services) -> None:
    app = create_app(services, outbox_worker=False)
    make_user(services, "canbo", "officer")
    with TestClient(app) as first, TestClient(app) as second:
        login(first)
        login(second)
        theirs = csrf_of(second, "/")
        refused = first.post("/dossier", data={"dossier_code": "", "csrf_token": theirs})
        assert refused.status_code == 403


def test_next_never_leaves_kho(web: TestClient) -> None:
    for bad in ("https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:x"):
        response = login(web, next=bad)
        assert response.headers["location"] == "/", bad


def test_the_dossier_code_set_for_the_session_shows_in_the_header(web: TestClient) -> None:
    login(web)
    assert "Chưa chọn hồ sơ đang xử lý." in web.get("/").text
    done = post_form(web, "/dossier", {"dossier_code": "000.00.15.H62-261123-0001", "next": "/"})
    assert done.status_code == 303 and done.headers["location"] == "/"
    page = web.get("/").text
    assert 'data-dossier-code="000.00.15.H62-261123-0001"' in page
    bad = post_form(web, "/dossier", {"dossier_code": "x", "next": "/"})
    assert bad.status_code == 400 and "Mã hồ sơ không hợp lệ" in bad.text
    assert 'data-dossier-code="000.00.15.H62-261123-0001"' in web.get("/").text  # kept
    # ?dossier_code= wins for that page; a malformed one gives none, and says so.
    other = web.get("/?dossier_code=000.00.15.H62-261124-0002").text
    assert 'data-dossier-code="000.00.15.H62-261124-0002"' in other
    malformed = web.get("/?dossier_code=abc").text
    assert 'data-dossier-code=""' in malformed and "Mã hồ sơ không hợp lệ." in malformed
    cleared = post_form(web, "/dossier", {"dossier_code": "", "next": "/"})
    assert cleared.status_code == 303
    assert 'data-dossier-code=""' in web.get("/").text


def test_the_language_switch_is_remembered_by_a_cookie(web: TestClient) -> None:
    page = web.get("/login")
    assert '<html lang="vi">' in page.text and "Đăng nhập" in page.text
    english = web.get("/login?lang=en")
    assert '<html lang="en">' in english.text and "Sign in" in english.text
    assert "kho_lang=en" in english.headers["set-cookie"]
    again = web.get("/login")
    assert '<html lang="en">' in again.text and "Username" in again.text
    assert "Wrong username or password." in login(web, password="wrong-password").text
    back = web.get("/login?lang=vi")
    assert '<html lang="vi">' in back.text
    assert '<html lang="vi">' in web.get("/login").text


def test_every_web_page_carries_the_security_headers(web: TestClient) -> None:
    responses = [web.get("/login"), web.get("/", follow_redirects=False), login(web)]
    responses += [web.get("/"), web.post("/logout", data={})]
    for response in responses:
        csp = response.headers["content-security-policy"]
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
        assert directives["script-src"] == "'self'"
        assert directives["frame-ancestors"] == "'self'"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
    assert web.get("/").headers["cache-control"] == "no-store"
    # The pages have no inline script for the policy to block.
    assert "<script>" not in web.get("/").text


def test_the_api_is_untouched_by_sessions(web: TestClient, headers: dict[str, str]) -> None:
    login(web)
    # A signed-in browser still needs an API key for /api/v1, and gets problem+json.
    response = web.get("/api/v1/subjects/001203001234/records")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert web.get("/api/v1/subjects/001203001234/records", headers=headers).status_code == 200


def test_setting_the_dossier_returns_to_the_page_without_the_old_code(web: TestClient) -> None:
    login(web)
    page = web.get("/?dossier_code=000.00.15.H62-261124-0002&x=1&lang=vi").text
    assert 'name="next" value="/?x=1"' in page


def test_a_wrong_address_is_a_page_for_browsers_and_problem_json_for_clients(
    web: TestClient,
) -> None:
    page = web.get("/khong-co-trang-nay", headers={"Accept": "text/html,*/*;q=0.8"})
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "Không có trang này" in page.text and '<html lang="vi">' in page.text
    english = web.get("/khong-co-trang-nay?lang=en", headers={"Accept": "text/html"})
    assert english.status_code == 404 and "There is no such page" in english.text
    wrong_method = web.put("/login", headers={"Accept": "text/html"})
    assert wrong_method.status_code == 405 and "text/html" in wrong_method.headers["content-type"]
    for path, accept in (("/khong-co-trang-nay", "application/json"), ("/api/v1/x", "text/html")):
        problem = web.get(path, headers={"Accept": accept})
        assert problem.status_code == 404
        assert problem.headers["content-type"] == "application/problem+json"
        assert problem.json()["status"] == 404
