"""`kho serve` and `kho demo`: run the archive's API and web pages."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import click

from kho.cli.main import CliContext, pass_context
from kho.cli.progress import Progress

__all__ = ["register"]


def _run(state: CliContext, host: str, port: int) -> None:
    import logging

    import uvicorn

    from kho.logs import configure_logging
    from kho.server import create_app
    from kho.settings import LogFormat

    # Every line, uvicorn's too, through our handler: with the request id, as text or JSON.
    configure_logging(
        logging.DEBUG if state.debug else logging.INFO,
        json_lines=state.settings.log_format is LogFormat.json,
    )
    app = create_app(state.services)
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="info" if state.debug else "warning",
        log_config=None,
    )


def _check_secrets(state: CliContext) -> None:
    """Stop now (exit 78) on a missing or unsafe secret, not at the first request; a store
    that is down is no reason not to start (the secret is resolved once it is back)."""
    import contextlib

    from kho.errors import KhoError

    services = state.services
    services.audit.checkpoints.key()
    with contextlib.suppress(KhoError):
        services.keys.secret.get()


def _check_port(port: int) -> None:
    if not 1 <= port <= 65535:
        raise click.BadParameter(f"{port} is not a TCP port", param_hint="--port")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="TCP port.")
@pass_context
def serve(state: CliContext, host: str, port: int) -> int:
    """Serve the API (/api/v1) and the web pages (phục vụ API và giao diện web)."""
    _check_port(port)
    services = state.services
    checks = services.health.readiness()
    down = [
        f"{role} ({c['backend']}): {c.get('detail')}"
        for role, c in checks.items()
        if c["status"] != "ok"
    ]
    for line in down:
        click.echo(f"kho: warning: {line}", err=True)
    _check_secrets(state)
    click.echo(f"Kho đang chạy tại / serving at http://{host}:{port}/", err=True)
    _run(state, host, port)
    return 0


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="TCP port.")
@click.option("--no-serve", is_flag=True, help="Build the sample archive and stop.")
@pass_context
def demo(state: CliContext, host: str, port: int, no_serve: bool) -> int:
    """Create a sample archive of signed Vietnamese results, then serve it (dữ liệu mẫu).

    The samples are signed by a test PKI made in KHO_DATA_DIR/demo/pki; the demo trusts
    its root. Prints the URL and a ready-made API key.
    """
    _check_port(port)
    from kho.demo.pki import TestPKI

    data_dir = state.settings.data_dir
    work = data_dir / "demo"
    pki = TestPKI.create(work / "pki")
    state.overrides.update(
        trust_roots=[pki.root_cert_path],
        trust_intermediates=list(pki.intermediate_cert_paths),
        crls=list(pki.crl_paths),
    )
    state._settings = None  # re-read with the demo's trust settings
    services = state.services

    from kho.demo.samples import DEMO_AGENCY, build_demo

    progress = Progress("demo")
    record_ids = build_demo(services, pki, work / "results", progress)
    progress.finish()

    token_file = work / "api-key.txt"
    token = token_file.read_text().strip() if token_file.is_file() else ""
    if not token:
        _key, token = services.keys.create(
            agency=DEMO_AGENCY,
            scopes={"records:read", "records:write", "audit:read", "subjects:access-log"},
            access=state.access(),
            label="kho demo",
        )
        token_file.write_text(token + "\n")
        token_file.chmod(stat.S_IRUSR | stat.S_IWUSR)

    url = f"http://{host}:{port}"
    trust = os.pathsep.join(str(p) for p in [pki.root_cert_path])
    click.echo(
        f"""
Kho demo: {len(record_ids)} kết quả mẫu / sample results in {Path(data_dir).resolve()}
  Web:      {url}/
  API docs: {url}/api/v1/docs
  Try:      curl -H "Authorization: Bearer $KHO_KEY" \\
              -H "X-Dossier-Code: 000.00.15.H62-261123-0001" \\
              {url}/api/v1/subjects/001203001234/records
  Serve it again later with: KHO_TRUST_ROOTS={trust} kho serve
API key (KHO_KEY):""",
        err=True,
    )
    click.echo(token)
    if no_serve:
        return 0
    _run(state, host, port)
    return 0


def register(group: click.Group) -> None:
    group.add_command(serve)
    group.add_command(demo)
