"""Progress for long commands: a bar on a terminal, a line every few percent otherwise.

Progress goes to stderr, so stdout stays machine-readable (JSON lines, reports).
"""

from __future__ import annotations

import sys
import time

import click

__all__ = ["Progress"]


class Progress:
    def __init__(self, label: str, total: int | None = None, *, quiet: bool = False) -> None:
        self.label = label
        self.total = total
        self.quiet = quiet
        self.done = 0
        self.tty = sys.stderr.isatty()
        self._last_line = 0.0
        self._started = time.monotonic()

    def __call__(self, done: int, total: int | None = None) -> None:
        self.done = done
        if total is not None:
            self.total = total
        if self.quiet:
            return
        now = time.monotonic()
        if self.tty:
            self._draw()
        elif now - self._last_line >= 5.0 or (self.total and done >= self.total):
            self._last_line = now
            click.echo(self._text(), err=True)

    def step(self) -> None:
        self(self.done + 1)

    def _text(self) -> str:
        elapsed = time.monotonic() - self._started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        if self.total:
            pct = 100.0 * self.done / self.total
            return f"{self.label}: {self.done}/{self.total} ({pct:.0f}%, {rate:.1f}/s)"
        return f"{self.label}: {self.done} ({rate:.1f}/s)"

    def _draw(self) -> None:
        width = 30
        if self.total:
            filled = int(width * min(self.done, self.total) / self.total)
            bar = "█" * filled + "░" * (width - filled)
            click.echo(f"\r{bar} {self._text()}", nl=False, err=True)
        else:
            click.echo(f"\r{self._text()}", nl=False, err=True)

    def finish(self) -> None:
        if self.quiet:
            return
        if self.tty:
            self._draw()
            click.echo("", err=True)
