"""Streaming a large object into MinIO: S3 multipart upload, one part in memory at a time,
with the create-only condition on the completion (where MinIO decides who wins)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import BinaryIO

import urllib3
from minio import Minio
from minio.error import MinioException
from minio.helpers import md5sum_hash
from minio.xml import Element, SubElement, getbytes

from kho.archive.errors import StoreUnavailable

__all__ = ["parts", "put_multipart", "read_up_to"]


def read_up_to(data: BinaryIO, size: int) -> bytes:
    """Up to `size` bytes, fewer only at the end of the stream (raw streams may return less)."""
    chunks: list[bytes] = []
    remaining = size
    while remaining > 0:
        chunk = data.read(remaining)
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def parts(head: bytes, data: BinaryIO, size: int) -> Iterator[bytes]:
    """`head`, then the rest of the stream in parts of `size`; each part is dropped before
    the next is read."""
    chunk = head
    del head
    while chunk:
        full = len(chunk) == size
        yield chunk
        chunk = b""
        if not full:
            return
        chunk = read_up_to(data, size)


def put_multipart(
    client: Minio, bucket: str, key: str, chunks: Iterator[bytes], headers: dict[str, str]
) -> int:
    """Upload a stream part by part, one part in memory at a time; the conditional
    header goes on the completion too, which is where MinIO decides who wins."""
    upload_id = client._create_multipart_upload(bucket, key, dict(headers))
    try:
        uploaded: list[tuple[int, str]] = []
        size = 0
        while (chunk := next(chunks, b"")) or not uploaded:
            number = len(uploaded) + 1
            etag = client._upload_part(bucket, key, chunk, None, upload_id, number)
            uploaded.append((number, etag))
            size += len(chunk)
            del chunk
        _complete(client, bucket, key, upload_id, uploaded, headers)
    except BaseException:
        with contextlib.suppress(MinioException, urllib3.exceptions.HTTPError, OSError):
            client._abort_multipart_upload(bucket, key, upload_id)
        raise
    return size


def _complete(
    client: Minio,
    bucket: str,
    key: str,
    upload_id: str,
    parts: Sequence[tuple[int, str]],
    headers: dict[str, str],
) -> None:
    # minio's own completion call takes no extra headers; this is the same request with
    # the precondition added.
    element = Element("CompleteMultipartUpload")
    for number, etag in parts:
        part = SubElement(element, "Part")
        SubElement(part, "PartNumber", str(number))
        SubElement(part, "ETag", f'"{etag}"')
    body = getbytes(element)
    request_headers: dict[str, str | list[str] | tuple[str]] = {
        "Content-Type": "application/xml",
        "Content-MD5": str(md5sum_hash(body)),
    }
    if "If-None-Match" in headers:
        request_headers["If-None-Match"] = headers["If-None-Match"]
    response = client._execute(
        "POST",
        bucket,
        key,
        body=body,
        headers=request_headers,
        query_params={"uploadId": upload_id},
    )
    # S3 may report a failed completion inside a 200 response.
    if b"<Error>" in response.data[:512]:
        raise StoreUnavailable(f"MinIO could not complete the upload of {key}")
