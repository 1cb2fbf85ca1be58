"""What the browser tests share: the world they run in and the steps every test takes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

DUC = "001203001234"
XSS_SUBJECT = "036190000111"
XSS_NAME = '<img src=x onerror="window.__xss=1">Hoàng <script>window.__xss=2</script>'
XSS_PROCEDURE = 'Thủ tục <script>window.__xss=3</script><b onclick="window.__xss=4">đậm</b>'
DOSSIER = "000.00.15.H62-261123-0001"
LOCKED_USER = "khoa"


@dataclass(frozen=True)
class Server:
    stack: str
    base: str
    token: str
    folder: Path
    env: dict[str, str]

    @property
    def sample_pdf(self) -> Path:
        """A signed result of the demo (what a citizen might bring on a USB stick)."""
        return sorted((self.folder / "kho-data" / "demo" / "results").glob("*.pdf"))[0]


def sign_in(page: Any, username: str, password: str | None = None) -> None:
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password or f"{username}-demo")
    page.press("input[name=password]", "Enter")
    page.wait_for_load_state()


def set_dossier(page: Any, code: str = DOSSIER) -> None:
    """Through the form a page that needs it shows (the page comes back with the data)."""
    page.fill("input[name=dossier_code] >> nth=-1", code)
    page.press("input[name=dossier_code] >> nth=-1", "Enter")
    page.wait_for_load_state()
