"""Serving a record's signed bytes over HTTP: ETag, Range (206/416), If-None-Match (304),
a Content-Disposition that keeps Vietnamese file names. Shared by the routes of a record's
content and of download links, which live in records.py."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from fastapi import Response
from fastapi.responses import StreamingResponse

from kho.api.problems import problem_response
from kho.api.schemas import Problem
from kho.services import Access, Services
from kho.services.errors import RecordNotFound
from kho.services.records import gone

__all__ = [
    "CONTENT_RESPONSES",
    "RECORD_ID",
    "check_record_id",
    "content_disposition",
    "serve_content",
]

RECORD_ID = r"^[0-9A-HJKMNP-TV-Z]{26}$"


def check_record_id(record_id: str) -> str:
    if not re.fullmatch(RECORD_ID, record_id):
        raise RecordNotFound(f"no record {record_id[:40]!r}")
    return record_id


def content_disposition(filename: str) -> str:
    """RFC 6266 / RFC 8187: an ASCII fallback and the UTF-8 name (Vietnamese names intact)."""
    fallback = (
        "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename)
        or "result.pdf"
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _parse_range(header: str, size: int) -> tuple[int, int] | str | None:
    """(start, length) for one satisfiable range; None to serve it all; "bad" for 416."""
    match = _RANGE.fullmatch(header.strip())
    if match is None:
        return None  # several ranges or another unit: RFC 9110 lets us send the whole
    first, last = match.groups()
    if not first and not last:
        return None
    if len(first) > 18 or len(last) > 18:
        return "bad"
    if not first:
        suffix = int(last)
        if suffix == 0 or size == 0:
            return "bad"
        start = max(0, size - suffix)
        return start, size - start
    start = int(first)
    end = int(last) if last else size - 1
    if start >= size or end < start:
        return "bad"
    end = min(end, size - 1)
    return start, end - start + 1


def serve_content(
    services: Services,
    record_id: str,
    access: Access,
    range_header: str | None,
    if_none_match: str | None,
    detail: dict[str, Any] | None = None,
) -> Response:
    """The signed bytes with ETag, Range (206/416) and If-None-Match (304); every answer
    that touches the record is audited, a 304 too."""
    manifest = services.records.readable(check_record_id(record_id), access)
    gone(manifest)  # a disposed record's bytes: 410 /problems/disposed
    etag = f'"{manifest.file.sha256}"'
    common = {
        "ETag": etag,
        "Accept-Ranges": "bytes",
        "Cache-Control": "private, no-store",
        "Content-Disposition": content_disposition(manifest.file.filename),
    }
    if if_none_match is not None and (
        if_none_match.strip() == "*" or etag in {t.strip() for t in if_none_match.split(",")}
    ):
        services.records.not_modified(record_id, access, detail)
        return Response(status_code=304, headers=common)
    size = manifest.file.size
    wanted = _parse_range(range_header, size) if range_header else None
    if wanted == "bad":
        return problem_response(
            416,
            "range-not-satisfiable",
            f"the file has {size} bytes",
            headers={"Content-Range": f"bytes */{size}"},
        )
    if isinstance(wanted, tuple):
        start, length = wanted
        content = services.records.content(
            record_id, access, start=start, length=length, detail=detail
        )
        return StreamingResponse(
            content.chunks,
            status_code=206,
            media_type=content.media_type,
            headers={
                **common,
                "Content-Range": f"bytes {start}-{start + length - 1}/{size}",
                "Content-Length": str(length),
            },
        )
    content = services.records.content(record_id, access, detail=detail)
    return StreamingResponse(
        content.chunks,
        media_type=content.media_type,
        headers={**common, "Content-Length": str(size)},
    )


CONTENT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        "description": "The signed PDF; `ETag` is its SHA-256, `Content-Disposition` carries "
        "the Vietnamese file name (RFC 6266 `filename*`)",
    },
    206: {
        "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        "description": "The requested byte range (`Content-Range`)",
    },
    304: {"description": "Not modified: the `If-None-Match` ETag is current"},
    410: {
        "model": Problem,
        "description": "The record was disposed of under its retention schedule "
        "(`/problems/disposed`): its tombstone remains, its bytes are gone",
    },
}
