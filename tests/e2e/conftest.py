"""The browser tests' world: per stack, a real `kho serve` over the demo archive (built by
`kho demo --no-serve`, with its accounts), plus a result whose metadata tries a script; and
Debian's Chromium driven by Playwright (its own browser download needs the internet).

Screenshots of the main pages go to KHO_SCREENSHOTS_DIR when it is set (scripts/screenshots
sets docs/screenshots), else to the test's temporary folder.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.backends import clean_up, requested, settings_overrides
from support.browser import LOCKED_USER, XSS_NAME, XSS_PROCEDURE, XSS_SUBJECT, Server
from support.server import free_port, wait_healthy

from kho.settings import load_settings

KHO = str(Path(sys.executable).with_name("kho"))


def _run(env: dict[str, str], cwd: Path, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        [KHO, *args], env=env, cwd=cwd, input=stdin, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, f"kho {' '.join(args)}: {done.stderr}"
    return done.stdout


@pytest.fixture(scope="module", params=requested())
def server(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    pki: Any,
    make_pdf: Callable[..., bytes],
) -> Iterator[Server]:
    stack = str(request.param)
    folder = tmp_path_factory.mktemp(f"e2e-{stack}")
    overrides = settings_overrides(stack, folder)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KHO_")}
    env.update({f"KHO_{k.upper()}": str(v) for k, v in overrides.items()})
    env["KHO_RATE_LIMIT_PER_MINUTE"] = "0"
    token = _run(env, folder, "demo", "--no-serve").strip().splitlines()[-1]
    env["KHO_TRUST_ROOTS"] = str(folder / "kho-data" / "demo" / "pki" / "certs" / "root-ca.pem")
    _run(env, folder, "users", "create", LOCKED_USER, "--role", "officer", stdin="khoa-demo\n")
    port = free_port()
    process = subprocess.Popen(
        [KHO, "serve", "--port", str(port)],
        env=env,
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, process)
        # A result whose metadata tries a script (signed by a PKI the demo does not trust).
        # In a thread of its own: pyHanko runs an event loop, and Playwright's may be running.
        with ThreadPoolExecutor(1) as pool:
            unsigned = make_pdf("GIẤY XÁC NHẬN", ("Họ tên", "Hoàng Văn Em"))
            pdf = pool.submit(pki.sign_pdf, unsigned, "agency").result()
        meta = {
            "issuer_code": "000.00.15.H62",
            "result_code": "000.00.15.H62-261101-0999-KQ1",
            "dossier_code": "000.00.15.H62-261101-0999",
            "procedure_code": "1.001193",
            "procedure_name": XSS_PROCEDURE,
            "result_type": "Giấy xác nhận <i>in nghiêng</i>",
            "subjects": [{"kind": "citizen", "id": XSS_SUBJECT, "name": XSS_NAME}],
            "issued_on": "2026-11-01",
        }
        deposited = httpx.post(
            f"{base}/api/v1/records",
            headers={"Authorization": f"Bearer {token}"},
            files={"file": ("xss.pdf", pdf, "application/pdf")},
            data={"metadata": json.dumps(meta, ensure_ascii=False)},
            timeout=120,
        )
        assert deposited.status_code in (200, 201), deposited.text
        yield Server(stack, base, token, folder, env)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        clean_up(load_settings(_env_file=None, **overrides))


# Module-scoped, not session: while Playwright's sync API runs, its event loop is the
# thread's running loop, and asyncio.run() elsewhere (pyHanko's signing in the later tests
# of the same pytest run) would fail. Stopped when the browser tests end.
@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    path = shutil.which("chromium") or shutil.which("chromium-browser")
    assert path, "Debian's Chromium is missing: apt-get install chromium (scripts/test does)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browser_context(server: Server, chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(
        base_url=server.base, locale="vi-VN", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(30_000)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def page(browser_context: Any) -> Any:
    return browser_context.new_page()


@pytest.fixture(scope="session")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = os.environ.get("KHO_SCREENSHOTS_DIR")
    folder = Path(given) if given else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
