"""The web UI's languages: Vietnamese first (the message ids are the Vietnamese text),
English from the Babel catalog `web/locale/en/LC_MESSAGES/kho.po`.

The `.po` files are committed and read with Babel when the server starts (no compiled
`.mo` to forget: a fresh `pip install -e .` works as it is); `scripts/i18n` extracts the
strings from the templates and Python, updates the catalogs and checks they compile.

`?lang=en` (or `vi`) on any page switches the language and is remembered in the cookie
`kho_lang` (LanguageMiddleware); without either, Vietnamese.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from urllib.parse import parse_qs

from babel.messages.pofile import read_po
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "DEFAULT_LANG",
    "LANGS",
    "LANG_COOKIE",
    "LOCALE_DIR",
    "N_",
    "LanguageMiddleware",
    "format_date",
    "format_datetime",
    "gettext",
    "lang_of",
    "ngettext",
    "translate",
]

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "kho"
DEFAULT_LANG = "vi"
LANGS = ("vi", "en")
LANG_COOKIE = "kho_lang"
_COOKIE_MAX_AGE = 365 * 24 * 3600


@functools.cache
def catalog(lang: str) -> Mapping[str, str | tuple[str, ...]]:
    """msgid → msgstr of the language's catalog (empty for Vietnamese: the ids are it)."""
    path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if lang == DEFAULT_LANG or not path.is_file():
        return {}
    with path.open("rb") as handle:
        po = read_po(handle, locale=lang)
    messages: dict[str, str | tuple[str, ...]] = {}
    for message in po:
        if not message.id or not message.string or message.fuzzy:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        string = message.string
        messages[unicodedata.normalize("NFC", key)] = (
            string if isinstance(string, str) else tuple(string)
        )
    return messages


def N_(message: str) -> str:  # noqa: N802 - the name gettext tools know
    """Marks a string for the catalog where it is defined; translated where it is shown."""
    return message


def translate(lang: str, message: str) -> str:
    found = catalog(lang).get(message)
    if isinstance(found, str) and found:
        return found
    return message


def _plural(lang: str, singular: str, plural: str, n: int) -> str:
    found = catalog(lang).get(singular)
    if isinstance(found, tuple) and len(found) >= 2 and all(found):
        return found[0] if n == 1 else found[1]
    if lang == DEFAULT_LANG:
        return singular  # Vietnamese has one form
    return singular if n == 1 else plural


def lang_of(request: Request) -> str:
    """The page's language: ?lang=, else the kho_lang cookie, else Vietnamese."""
    chosen = request.query_params.get("lang")
    if chosen in LANGS:
        return chosen
    cookie = request.cookies.get(LANG_COOKIE)
    return cookie if cookie in LANGS else DEFAULT_LANG


def gettext(request: Request, message: str) -> str:
    """`message` (Vietnamese) in the request's language."""
    return translate(lang_of(request), message)


def ngettext(request: Request, singular: str, plural: str, n: int) -> str:
    return _plural(lang_of(request), singular, plural, n)


def format_date(value: date | datetime | str | None) -> str:
    """dd/mm/yyyy (Vietnamese usage, in both languages); '' for None."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            parsed: date = (
                datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
            )
        except ValueError:
            return value
        value = parsed
    return f"{value.day:02d}/{value.month:02d}/{value.year:04d}"


def format_datetime(value: datetime | str | None, zone: object = None) -> str:
    """dd/mm/yyyy HH:MM in `zone` (a tzinfo) if given; '' for None."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            return value
        value = when
    if zone is not None and value.tzinfo is not None:
        value = value.astimezone(zone)  # type: ignore[arg-type]
    return f"{format_date(value)} {value.hour:02d}:{value.minute:02d}"


class LanguageMiddleware:
    """Remembers `?lang=` in the `kho_lang` cookie on the web pages (not the API)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or str(scope.get("path", "")).startswith("/api/"):
            await self.app(scope, receive, send)
            return
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        chosen = (query.get("lang") or [None])[-1]
        if chosen not in LANGS:
            await self.app(scope, receive, send)
            return

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append(
                    (
                        b"set-cookie",
                        f"{LANG_COOKIE}={chosen}; Path=/; Max-Age={_COOKIE_MAX_AGE}; "
                        "SameSite=Lax".encode(),
                    )
                )
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_cookie)
