"""The `kho` command line (CONTRACT.md "Commands"): thin, over the services."""

from kho.cli.main import cli, main

__all__ = ["cli", "main"]
