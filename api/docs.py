"""/api/v1/docs: Swagger UI served by Kho itself, so the documentation works offline.

The assets are Swagger UI 5 (`swagger-ui-dist`, vendored by scripts/vendor-swagger-ui with
its licence) under /api/v1/static/; the page loads nothing from elsewhere and starts the UI
from a script file (api/static/docs.js), which the content security policy requires.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["ASSETS_DIR", "DOCS_PATH", "STATIC_PATH", "install_docs"]

# resolve(): from the source tree `kho/api` is a symlink to `api/` (pyproject.toml), and
# StaticFiles serves no file whose real path lies outside its directory.
ASSETS_DIR = Path(__file__).resolve().parent / "static"
DOCS_PATH = "/api/v1/docs"
STATIC_PATH = "/api/v1/static"

_PAGE = """<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" type="image/png" href="{static}/swagger-ui/favicon-32x32.png">
<link rel="stylesheet" href="{static}/swagger-ui/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{openapi}"></div>
<script src="{static}/swagger-ui/swagger-ui-bundle.js"></script>
<script src="{static}/docs.js"></script>
</body>
</html>
"""


def install_docs(app: FastAPI, openapi_url: str) -> None:
    """Serve the docs page and its assets on `app` (FastAPI's own, CDN-bound page is off)."""
    app.mount(STATIC_PATH, StaticFiles(directory=str(ASSETS_DIR)), name="api-static")

    @app.get(DOCS_PATH, include_in_schema=False, response_class=HTMLResponse)
    def docs(request: Request) -> HTMLResponse:
        root = str(request.scope.get("root_path", "")).rstrip("/")
        return HTMLResponse(
            _PAGE.format(
                title=escape(f"{app.title} — tài liệu / documentation"),
                static=escape(root + STATIC_PATH),
                openapi=escape(root + openapi_url),
            )
        )
