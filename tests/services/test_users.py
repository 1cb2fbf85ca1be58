"""UserService: accounts in the object store with argon2id hashes, checked input, lockout
counted in a row, nothing secret in what is listed."""

from __future__ import annotations

import pytest

from kho.services import Access, Services
from kho.services.errors import Conflict, InvalidQuery, RecordNotFound
from kho.services.users import AccountLocked, WrongPassword


def test_accounts_are_stored_with_an_argon2id_hash(services: Services) -> None:
    made = services.users.create(
        "hoa",
        "mật khẩu dài",
        "officer",
        name=" Nguyễn Thị Hoa ",
        agency="000.00.15.H62",
        access=Access.system(),
    )
    assert made.name == "Nguyễn Thị Hoa" and made.actor().user == "hoa"
    assert made.actor().agency == "000.00.15.H62"
    stored = services.backends.store.get("users/hoa.json").decode()
    assert "$argon2id$" in stored and "mật khẩu dài" not in stored
    assert "password_hash" not in made.to_json() and "hoa" in repr(made)
    assert made.password_hash not in repr(made)
    assert [u.username for u in services.users.list()] == ["hoa"]
    assert services.users.authenticate(" HOA ", "mật khẩu dài").username == "hoa"
    with pytest.raises(Conflict):
        services.users.create("hoa", "another-password", "admin", access=Access.system())
    with pytest.raises(RecordNotFound):
        services.users.get("nobody")
    with pytest.raises(RecordNotFound):
        services.users.get("../keys/x")


@pytest.mark.parametrize(
    ("username", "password", "role", "agency"),
    [
        ("Hoa", "long-enough", "officer", None),
        ("h", "long-enough", "officer", None),
        ("../x", "long-enough", "officer", None),
        ("hoa", "short", "officer", None),
        ("hoa", "long-enough", "chief", None),
        ("hoa", "long-enough", "officer", "not an agency"),
    ],
)
def test_bad_input_is_refused(
    services: Services, username: str, password: str, role: str, agency: str | None
) -> None:
    with pytest.raises(InvalidQuery):
        services.users.create(username, password, role, agency=agency, access=Access.system())
    assert services.users.list() == []


def test_the_fifth_failure_in_a_row_locks(services: Services) -> None:
    services.users.create("hoa", "long-enough", "officer", access=Access.system())
    for _ in range(4):
        with pytest.raises(WrongPassword):
            services.users.authenticate("hoa", "wrong")
    with pytest.raises(AccountLocked) as locked:
        services.users.authenticate("hoa", "wrong")
    assert locked.value.until > services.backends.now()
    with pytest.raises(AccountLocked):
        services.users.authenticate("hoa", "long-enough")
    # An administrator's reset opens it at once.
    services.users.reset_password("hoa", "brand-new-one", Access.system())
    assert services.users.authenticate("hoa", "brand-new-one").failures == 0
