"""The `kho` command: the group, its shared context, and the exit-code discipline.

Exit codes (CONTRACT.md): 0 success; 1 the command's own "no"; `kho verify`'s 0-4; 64 a
usage error; 69 a backend unavailable; 70 an internal error; 78 a wrong setting. Errors
are one line on stderr, never a traceback unless --debug.
"""

from __future__ import annotations

import getpass
import logging
import sys
import traceback
from dataclasses import dataclass, field

import click

from kho import __version__
from kho.archive.manifest import Actor
from kho.errors import KhoError
from kho.logs import configure_logging
from kho.services import Access, Services
from kho.settings import Settings, SettingsError, load_settings

__all__ = ["CliContext", "cli", "main"]

EXIT_USAGE = 64
EXIT_UNAVAILABLE = 69
EXIT_INTERNAL = 70
EXIT_CONFIG = 78


@dataclass
class CliContext:
    debug: bool = False
    _settings: Settings | None = None
    _services: Services | None = None
    overrides: dict[str, object] = field(default_factory=dict)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(**self.overrides)
        return self._settings

    @property
    def services(self) -> Services:
        if self._services is None:
            from kho.wiring import build_services

            self._services = build_services(self.settings)
        return self._services

    def access(self, purpose: str | None = None) -> Access:
        try:
            user = getpass.getuser()
        except (KeyError, OSError):
            user = "unknown"
        return Access(actor=Actor(user=f"cli:{user}"), purpose=purpose, console=True)

    def close(self) -> None:
        if self._services is not None:
            self._services.close()
            self._services = None


pass_context = click.make_pass_decorator(CliContext)


class _Group(click.Group):
    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_paragraph()
        formatter.write_text(
            "Settings come from KHO_* environment variables or a .env file "
            "(see README.md). Exit codes: 0 ok, 1 refused or failed check, "
            "64 usage error, 69 backend unavailable, 70 internal error, 78 bad setting."
        )


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kho")
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logs.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Kho — kho lưu trữ điện tử kết quả giải quyết thủ tục hành chính.

    Kho, the electronic archive of signed results of administrative procedures.
    """
    configure_logging(logging.DEBUG if debug else logging.WARNING)
    if not debug:
        for noisy in (
            "pyhanko",
            "pyhanko_certvalidator",
            "pypdf",
            "elasticsearch",
            "elastic_transport",
            "urllib3",
        ):
            logging.getLogger(noisy).setLevel(logging.CRITICAL)
    state = CliContext(debug=debug)
    ctx.obj = state
    ctx.call_on_close(state.close)


def _register() -> None:
    from kho.cli import admin, digitize, indicators, ingest, lookup, serve, users, verify

    for module in (admin, digitize, indicators, ingest, lookup, serve, users, verify):
        module.register(cli)


def main(argv: list[str] | None = None) -> None:
    _register()
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        code = cli.main(args=args, prog_name="kho", standalone_mode=False)
    except click.UsageError as exc:
        exc.show()
        code = EXIT_USAGE
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.Abort:
        click.echo("kho: aborted", err=True)
        code = 130
    except click.ClickException as exc:
        exc.show()
        code = exc.exit_code if exc.exit_code not in (0, 2) else EXIT_USAGE
    except SettingsError as exc:
        click.echo(f"kho: {exc}", err=True)
        code = EXIT_CONFIG
    except KhoError as exc:
        click.echo(f"kho: {exc.detail}", err=True)
        code = EXIT_UNAVAILABLE if exc.problem_type == "backend-unavailable" else 1
        if debug:
            traceback.print_exc()
    except KeyboardInterrupt:
        click.echo("kho: interrupted", err=True)
        code = 130
    except BrokenPipeError:
        code = 0
    except Exception as exc:  # the last net: one line, no traceback unless --debug
        click.echo(f"kho: internal error: {type(exc).__name__}: {exc}", err=True)
        if debug:
            traceback.print_exc()
        code = EXIT_INTERNAL
    sys.exit(code if isinstance(code, int) else 0)
