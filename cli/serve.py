"""`kho serve` and `kho demo`: run the archive's API and web pages.

The listening socket is opened before anything else (before the demo builds its archive),
so a port already in use is one line and exit 69, not uvicorn's log and exit 3.
"""

from __future__ import annotations

import errno
import os
import shlex
import socket
import stat
import sys
from pathlib import Path

import click

from kho.cli.main import EXIT_UNAVAILABLE, CliContext, pass_context
from kho.cli.progress import Progress

__all__ = ["register"]

DEFAULT_PORT = 8000


class _Unavailable(click.ClickException):
    """Something the command needs is not there (a free port, a font): one line, exit 69."""

    exit_code = EXIT_UNAVAILABLE

    def show(self, file: object = None) -> None:
        click.echo(f"kho: {self.message}", err=True)


def _listen(host: str, port: int) -> socket.socket:
    """A socket bound to host:port and listening; _Unavailable (exit 69) if it cannot be."""
    if not 1 <= port <= 65535:
        raise click.BadParameter(f"{port} is not a TCP port", param_hint="--port")
    try:
        family, _type, _proto, _name, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror:
        raise click.BadParameter(
            f"{host!r} is not an address to listen on", param_hint="--host"
        ) from None
    try:
        return socket.create_server(address[:2], family=family, backlog=2048)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise _Unavailable(
                f"cổng {port} trên {host} đang được dùng / port {port} on {host} is already "
                "in use: chọn cổng khác / choose another with --port"
            ) from None
        raise _Unavailable(
            f"không mở được cổng {port} trên {host} / cannot listen on {host}:{port}: "
            f"{exc.strerror or exc}"
        ) from None


def _uvicorn_options(debug: bool) -> dict[str, object]:
    """uvicorn's settings for Kho: httptools and uvloop when installed (both are
    dependencies; asyncio and h11 otherwise), and no access log unless --debug (each
    request is counted in /metrics and each access audited)."""
    import importlib.util

    options: dict[str, object] = {"access_log": debug}
    if importlib.util.find_spec("httptools") is not None:
        options["http"] = "httptools"
    if importlib.util.find_spec("uvloop") is not None:
        options["loop"] = "uvloop"
    return options


def _run_workers(
    state: CliContext, sock: socket.socket, host: str, port: int, workers: int
) -> None:
    """`workers` processes on one socket (uvicorn's supervisor restarts one that dies), each
    with its own services (kho.server.create_worker_app); their metrics are summed through
    prometheus-client's multiprocess files in a fresh folder, removed at exit."""
    import logging
    import shutil
    import tempfile

    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from kho.logs import configure_logging
    from kho.settings import LogFormat

    configure_logging(
        logging.DEBUG if state.debug else logging.INFO,
        json_lines=state.settings.log_format is LogFormat.json,
        zone=state.settings.zone,
    )
    state.close()  # the workers build their own
    metrics_dir = tempfile.mkdtemp(prefix="kho-metrics-")
    # Read by prometheus-client in each worker as it starts (it is that library's setting).
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    try:
        config = uvicorn.Config(
            "kho.server:create_worker_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="info" if state.debug else "warning",
            log_config=None,
            **_uvicorn_options(state.debug),  # type: ignore[arg-type]
        )
        Multiprocess(config, sockets=[sock]).run()
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)


def _run(state: CliContext, sock: socket.socket, host: str, port: int) -> None:
    import logging

    import uvicorn

    from kho.logs import configure_logging
    from kho.server import create_app
    from kho.settings import LogFormat

    # Every line, uvicorn's too, through our handler: with the request id, as text or JSON,
    # timed in KHO_TIMEZONE.
    configure_logging(
        logging.DEBUG if state.debug else logging.INFO,
        json_lines=state.settings.log_format is LogFormat.json,
        zone=state.settings.zone,
    )
    app = create_app(state.services)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="info" if state.debug else "warning",
        log_config=None,
        **_uvicorn_options(state.debug),  # type: ignore[arg-type]
    )
    uvicorn.Server(config).run(sockets=[sock])


_HOST = click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
_PORT = click.option(
    "--port", default=DEFAULT_PORT, show_default=True, type=int, help="TCP port to listen on."
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


@click.command()
@_HOST
@_PORT
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Server processes sharing the port and the archive (about one per core).",
)
@pass_context
def serve(state: CliContext, host: str, port: int, workers: int) -> int:
    """Serve the API (/api/v1) and the web pages (phục vụ API và giao diện web).

    With --workers N, N processes answer on the same port over the same archive: rate
    limits hold across them, /metrics sums them, the audit trail stays one chain.
    """
    sock = _listen(host, port)
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
    if workers > 1:
        _run_workers(state, sock, host, port, workers)
    else:
        _run(state, sock, host, port)
    return 0


def _shown(path: Path) -> str:
    """`path` relative to the working folder when it lies inside it (shorter to copy)."""
    absolute = path.absolute()
    try:
        return str(absolute.relative_to(Path.cwd()))
    except ValueError:
        return str(absolute)


def _serve_again_hint(
    kho: str,
    data_dir: Path,
    *,
    trust_roots: list[Path],
    trust_intermediates: list[Path],
    crls: list[Path],
    retention_schedule: Path | None = None,
) -> str:
    """The command that serves the demo archive again with the very trust set (and
    retention schedule) it used."""

    def joined(paths: list[Path]) -> str:
        return shlex.quote(os.pathsep.join(_shown(p) for p in paths))

    settings = [
        f"KHO_DATA_DIR={shlex.quote(_shown(data_dir))}",
        f"KHO_TRUST_ROOTS={joined(trust_roots)}",
        f"KHO_TRUST_INTERMEDIATES={joined(trust_intermediates)}",
        f"KHO_CRLS={joined(crls)}",
    ]
    if retention_schedule is not None:
        settings.append(f"KHO_RETENTION_SCHEDULE={shlex.quote(_shown(retention_schedule))}")
    return " \\\n      ".join([*settings, f"{kho} serve"])


# The demo's people: (username, role, name); each password is the username + "-demo".
DEMO_USERS = (
    ("canbo", "officer", "Nguyễn Thị Hoa"),
    ("kiemtra", "auditor", "Trần Văn Minh"),
    ("quantri", "admin", "Lê Quốc Bảo"),
    ("luutru", "records_manager", "Phạm Thu Trang"),
    ("luutru2", "records_manager", "Đỗ Đức Anh"),
)


def _demo_accounts(state: CliContext, agency: str) -> str:
    """Create the demo's accounts once (the officer works for `agency`); their lines."""
    from kho.services.errors import RecordNotFound

    users = state.services.users
    lines = []
    for username, role, name in DEMO_USERS:
        password = f"{username}-demo"
        try:
            users.get(username)
        except RecordNotFound:
            users.create(
                username,
                password,
                role,
                name=name,
                agency=agency if role == "officer" else None,
                access=state.access(),
            )
        lines.append(f"\n            {username} / {password}  ({role})")
    return "".join(lines)


@click.command()
@_HOST
@_PORT
@click.option("--no-serve", is_flag=True, help="Build the sample archive and stop.")
@pass_context
def demo(state: CliContext, host: str, port: int, no_serve: bool) -> int:
    """Create a sample archive of signed Vietnamese results, then serve it (dữ liệu mẫu).

    The samples are signed by a test PKI made in KHO_DATA_DIR/demo/pki; the demo trusts
    its root. Prints the URL, an example deposit (a signed PDF and its meta.json, not yet
    deposited), the command to serve the archive again, and a ready-made API key.
    """
    sock = None if no_serve else _listen(host, port)
    from kho.demo.documents import FontNotFound, demo_extra_missing, find_font

    if demo_extra_missing():  # fpdf2 draws the sample results; only the demo needs it
        raise _Unavailable(
            "kho demo cần gói fpdf2 / kho demo needs fpdf2, which Kho installs only for the "
            "demo: pip install 'kho[demo]' (scripts/demo does)"
        )

    try:
        find_font()
    except FontNotFound:
        raise _Unavailable(
            "thiếu phông chữ DejaVu Sans cho văn bản tiếng Việt / the DejaVu Sans font is "
            "missing: apt-get install fonts-dejavu-core"
        ) from None
    from kho.demo.example import write_example_deposit
    from kho.demo.pki import TestPKI

    data_dir = state.settings.data_dir
    work = data_dir / "demo"
    pki = TestPKI.create(work / "pki")
    trust = {
        "trust_roots": [pki.root_cert_path],
        "trust_intermediates": list(pki.intermediate_cert_paths),
        "crls": list(pki.crl_paths),
    }
    state.overrides.update(trust)
    schedule = state.settings.retention_schedule
    if schedule is None:
        # The demo keeps its results under the example schedule (an example, not legal
        # advice), so a records manager finds an old result due and can try the disposal.
        from importlib import resources

        schedule = work / "retention-schedule.yaml"
        if not schedule.is_file():
            example = resources.files("kho.retention") / "example_schedule.yaml"
            schedule.write_bytes(example.read_bytes())
        state.overrides["retention_schedule"] = schedule
    state._settings = None  # re-read with the demo's trust settings
    services = state.services

    from kho.demo.samples import DEMO_AGENCY, build_demo

    progress = Progress("demo")
    record_ids = build_demo(services, pki, work / "results", progress)
    progress.finish()
    example = write_example_deposit(pki, work / "example", services.today())

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

    accounts = _demo_accounts(state, DEMO_AGENCY)

    url = f"http://{host}:{port}"
    kho = _shown(Path(sys.executable).with_name("kho"))
    again = _serve_again_hint(kho, data_dir, retention_schedule=schedule, **trust)
    if host != "127.0.0.1":
        again += f" --host {shlex.quote(host)}"
    if port != DEFAULT_PORT:
        again += f" --port {port}"
    click.echo(
        f"""
Kho demo: {len(record_ids)} kết quả mẫu / sample results in {_shown(data_dir)}
  Web:      {url}/   (đăng nhập / sign in:{accounts})
  API docs: {url}/api/v1/docs
  Try:      export KHO_KEY=$(cat {shlex.quote(_shown(token_file))})
            curl -H "Authorization: Bearer $KHO_KEY" \\
              -H "X-Dossier-Code: 000.00.15.H62-261123-0001" \\
              {url}/api/v1/subjects/001203001234/records
  Deposit:  a signed result not yet deposited, with its metadata, is in {_shown(example)}/
  kho:      {kho}  (the command line; e.g. {kho} --help)
  Serve it again later with:
      {again}
API key (KHO_KEY, also in {_shown(token_file)}):""",
        err=True,
    )
    click.echo(token)
    if sock is None:
        return 0
    _run(state, sock, host, port)
    return 0


def register(group: click.Group) -> None:
    group.add_command(serve)
    group.add_command(demo)
