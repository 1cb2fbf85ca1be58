"""The OpenAPI document as committed in api/openapi.json, made from the app itself.

`kho openapi -o api/openapi.json` rewrites the file; tests/api/test_openapi.py fails when
the app's document and the file differ, so the spec an integrator reads is the API.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from kho.api.app import create_api
from kho.api.openapi import SPEC_PATH, spec_text
from kho.settings import load_settings
from kho.wiring import build_services

__all__ = ["SPEC_PATH", "committed_spec", "current_spec"]


def current_spec() -> str:
    """The document of the current code (built over a throwaway embedded Kho: the document
    does not depend on the data or the backends)."""
    with tempfile.TemporaryDirectory(prefix="kho-openapi-") as folder:
        settings = load_settings(
            _env_file=None,
            data_dir=Path(folder),
            storage="local",
            search="embedded",
            extractor="embedded",
        )
        services = build_services(settings)
        try:
            return spec_text(create_api(services))
        finally:
            services.close()


def committed_spec() -> str:
    return SPEC_PATH.read_text(encoding="utf-8")
