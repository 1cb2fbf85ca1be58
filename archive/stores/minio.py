"""The distributed object store: one MinIO (S3) bucket with versioning and object lock.

Create-only writes are S3 conditional writes (`If-None-Match: *` on PutObject and on
CompleteMultipartUpload): MinIO checks the condition under its per-object namespace lock, so
of two concurrent writers of one key exactly one gets 200 and the other 412. Write-once
retention is object lock in GOVERNANCE mode: Kho never sends the bypass header, so to Kho a
protected version cannot be removed before `retain_until`, while an operator holding
s3:BypassGovernanceRetention can still correct a mistaken date (COMPLIANCE could never be
undone, not even for a wrong retention schedule); give Kho's own MinIO user no such right.

Every minio and urllib3 error is translated into archive.errors here. Timeouts are short and
retries few (only where the request cannot have been applied), so an outage turns into a
quick StoreUnavailable rather than a hung request.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, BinaryIO

import certifi
import urllib3
from minio import Minio
from minio.datatypes import Object
from minio.error import InvalidResponseError, MinioException, S3Error, ServerError

from kho.archive.errors import (
    ObjectExists,
    ObjectNotFound,
    ObjectProtected,
    StoreUnavailable,
)
from kho.archive.store import ObjectInfo, check_key
from kho.archive.stores.minio_multipart import parts as read_parts
from kho.archive.stores.minio_multipart import put_multipart, read_up_to

if TYPE_CHECKING:
    from urllib3 import BaseHTTPResponse

    from kho.settings import Settings

__all__ = ["LOCK_MODES", "MinioObjectStore"]

log = logging.getLogger(__name__)

LOCK_MODES = ("GOVERNANCE", "COMPLIANCE")
# Streams are sent in parts of this size (S3's minimum), so a large file never sits in
# memory whole; anything shorter goes in one PUT.
PART_SIZE = 5 * 1024 * 1024
_NOT_FOUND = frozenset({"NoSuchKey", "NoSuchVersion", "NoSuchObject"})
_PROTECTED_WORDS = ("worm", "retention", "legal hold", "object lock")


def _is_protected(error: S3Error) -> bool:
    message = (error.message or "").lower()
    return error.code in ("AccessDenied", "InvalidRequest") and any(
        word in message for word in _PROTECTED_WORDS
    )


class MinioObjectStore:
    """The ObjectStore protocol on one MinIO bucket (created with object lock if missing)."""

    name = "minio"

    def __init__(
        self,
        *,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        secure: bool = False,
        timeout_s: float = 10.0,
        lock_mode: str = "GOVERNANCE",
        part_size: int = PART_SIZE,
    ) -> None:
        if lock_mode not in LOCK_MODES:
            raise ValueError(f"lock_mode must be one of {LOCK_MODES}")
        if part_size < PART_SIZE:
            raise ValueError(f"part_size must be at least {PART_SIZE} bytes (S3's minimum)")
        self.bucket = bucket
        self.endpoint = endpoint
        self.lock_mode = lock_mode
        self.part_size = part_size
        self._http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=min(2.0, timeout_s), read=timeout_s),
            maxsize=32,
            cert_reqs="CERT_REQUIRED",
            ca_certs=certifi.where(),
            # Few, quick retries: failed connections (nothing was sent), and for reads and
            # deletes also a dropped connection or MinIO's "busy" answer. Never a PUT or POST
            # after a read error: it may have been applied, and a create-only write retried
            # after its own success would report a false "exists".
            retries=urllib3.Retry(
                total=2,
                connect=2,
                read=1,
                other=0,
                status=1,
                allowed_methods=frozenset({"GET", "HEAD", "DELETE"}),
                backoff_factor=0.1,
                backoff_max=0.5,
                status_forcelist=(503,),
                respect_retry_after_header=False,
                raise_on_status=False,
            ),
        )
        self._client = Minio(
            endpoint,
            access_key=access_key or None,
            secret_key=secret_key or None,
            secure=secure,
            http_client=self._http,
        )
        self._ready = False
        self._object_lock = False
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> MinioObjectStore:
        return cls(
            endpoint=settings.minio_endpoint,
            access_key=settings.minio_access_key,
            secret_key=settings.minio_secret_key,
            bucket=settings.minio_bucket,
            secure=settings.minio_secure,
            timeout_s=settings.backend_timeout_s,
        )

    # -- errors and the bucket -------------------------------------------------------------

    @contextlib.contextmanager
    def _errors(self, key: str | None, doing: str) -> Iterator[None]:
        where = f"{key} " if key else ""
        try:
            yield
        except S3Error as exc:
            if exc.code in _NOT_FOUND:
                raise ObjectNotFound(f"{key} not found") from None
            if exc.code == "PreconditionFailed":
                raise ObjectExists(f"{key} already exists") from None
            if _is_protected(exc):
                raise ObjectProtected(f"{key} is write-once: {exc.message}") from None
            if exc.code == "NoSuchBucket":
                self._ready = False
                raise StoreUnavailable(
                    f"the bucket {self.bucket} is missing on {self.endpoint}"
                ) from None
            raise StoreUnavailable(
                f"MinIO refused to {doing} {where}({exc.code}: {exc.message})"
            ) from None
        except (ServerError, InvalidResponseError) as exc:
            raise StoreUnavailable(
                f"MinIO at {self.endpoint} failed to {doing} {where}({exc})"[:400]
            ) from None
        except MinioException as exc:
            raise StoreUnavailable(f"MinIO error while {doing} {where}({exc})"[:400]) from None
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise StoreUnavailable(
                f"MinIO at {self.endpoint} cannot be reached to {doing} {where}({reason})"[:400]
            ) from None

    def _ensure_bucket(self) -> None:
        """Create the bucket (versioning and object lock) on first use, not at start-up, so a
        Kho started while MinIO is down serves 503s and recovers by itself."""
        if self._ready:
            return
        with self._lock:
            if self._ready:
                return
            with self._errors(None, "prepare the bucket"):
                if not self._client.bucket_exists(self.bucket):
                    try:
                        self._client.make_bucket(self.bucket, object_lock=True)
                    except S3Error as exc:
                        if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                            raise
                try:
                    self._client.get_object_lock_config(self.bucket)
                    self._object_lock = True
                except S3Error as exc:
                    if exc.code != "ObjectLockConfigurationNotFoundError":
                        raise
                    self._object_lock = False
                    log.warning(
                        "bucket %s has no object lock: write-once retention cannot be kept",
                        self.bucket,
                    )
            self._ready = True

    def _retention_headers(self, retain_until: datetime | None) -> dict[str, str]:
        if retain_until is None:
            return {}
        until = retain_until if retain_until.tzinfo else retain_until.replace(tzinfo=UTC)
        until = until.astimezone(UTC)
        if until <= datetime.now(UTC):
            return {}
        if not self._object_lock:
            raise StoreUnavailable(
                f"the bucket {self.bucket} was created without object lock, so it cannot keep "
                "an object write-once; create a bucket with object lock (Kho does so when the "
                "bucket is missing)"
            )
        return {
            "x-amz-object-lock-mode": self.lock_mode,
            "x-amz-object-lock-retain-until-date": until.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
            + "Z",
        }

    # -- writing ---------------------------------------------------------------------------

    def put(
        self,
        key: str,
        data: bytes | BinaryIO,
        *,
        create_only: bool = False,
        retain_until: datetime | None = None,
    ) -> ObjectInfo:
        check_key(key)
        self._ensure_bucket()
        headers = {"Content-Type": "application/octet-stream"}
        headers.update(self._retention_headers(retain_until))
        if create_only:
            headers["If-None-Match"] = "*"
        with self._errors(key, "write"):
            if isinstance(data, bytes | bytearray | memoryview):
                body = bytes(data)
                self._client._put_object(self.bucket, key, body, dict(headers))
                size = len(body)
            else:
                head = read_up_to(data, self.part_size)
                if len(head) < self.part_size:
                    self._client._put_object(self.bucket, key, head, dict(headers))
                    size = len(head)
                else:
                    parts = read_parts(head, data, self.part_size)
                    del head  # the part reader holds it until it is sent, no longer
                    size = put_multipart(self._client, self.bucket, key, parts, headers)
        return ObjectInfo(key=key, size=size, modified=datetime.now(UTC))

    # -- reading ---------------------------------------------------------------------------

    def get(self, key: str) -> bytes:
        check_key(key)
        self._ensure_bucket()
        with self._errors(key, "read"):
            response = self._client.get_object(self.bucket, key)
            try:
                return response.read()
            finally:
                response.close()
                response.release_conn()

    def stream(
        self, key: str, *, start: int = 0, length: int | None = None, chunk_size: int = 65536
    ) -> Iterator[bytes]:
        check_key(key)
        if start < 0 or (length is not None and length < 0):
            raise ValueError("start and length must not be negative")
        self._ensure_bucket()
        if length == 0:
            self.stat(key)
            return iter(())
        with self._errors(key, "read"):
            try:
                response = self._client.get_object(
                    self.bucket, key, offset=start, length=length or 0
                )
            except S3Error as exc:
                if exc.code == "InvalidRange":  # start is at or past the end
                    return iter(())
                raise
        return self._chunks(key, response, chunk_size)

    def _chunks(self, key: str, response: BaseHTTPResponse, chunk_size: int) -> Iterator[bytes]:
        try:
            with self._errors(key, "read"):
                yield from response.stream(chunk_size)
        finally:
            response.close()
            response.release_conn()

    def stat(self, key: str) -> ObjectInfo:
        check_key(key)
        self._ensure_bucket()
        with self._errors(key, "read"):
            st = self._client.stat_object(self.bucket, key)
        if st.is_delete_marker:
            raise ObjectNotFound(f"{key} not found")
        return ObjectInfo(key=key, size=int(st.size or 0), modified=st.last_modified)

    def exists(self, key: str) -> bool:
        try:
            self.stat(key)
        except ObjectNotFound:
            return False
        return True

    def list(self, prefix: str) -> Iterator[str]:
        folder_part, _, _ = prefix.rpartition("/")
        if folder_part:
            check_key(folder_part)
        self._ensure_bucket()
        return self._list(prefix)

    def _list(self, prefix: str) -> Iterator[str]:
        # S3 lists keys in UTF-8 byte order, which for the ASCII keys check_key allows is
        # Python's sort order: no need to hold a million keys in memory to sort them.
        with self._errors(prefix, "list"):
            for obj in self._client.list_objects(
                self.bucket, prefix=prefix or None, recursive=True
            ):
                name = obj.object_name
                # Hidden names (the probes of check()) are not keys, as in the local store.
                if name and not obj.is_dir and "/." not in f"/{name}":
                    yield name

    # -- removing --------------------------------------------------------------------------

    def _versions(self, key: str) -> Sequence[Object]:
        """Every version of exactly `key` (delete markers too), oldest first, the current
        one last."""
        found = [
            obj
            for obj in self._client.list_objects(
                self.bucket, prefix=key, recursive=False, include_version=True
            )
            if obj.object_name == key and not obj.is_dir
        ]
        found.reverse()  # S3 lists a key's versions newest first
        return sorted(found, key=lambda o: str(o.is_latest).lower() == "true")

    def delete(self, key: str) -> None:
        """Remove every version of the key. The oldest go first and the current one last, so
        a version under retention stops the removal with readers still seeing the object."""
        check_key(key)
        self._ensure_bucket()
        with self._errors(key, "delete"):
            for obj in self._versions(key):
                try:
                    self._client.remove_object(self.bucket, key, version_id=obj.version_id)
                except S3Error as exc:
                    if exc.code in _NOT_FOUND:
                        continue
                    raise

    def retained_until(self, key: str) -> datetime | None:
        check_key(key)
        self._ensure_bucket()
        with self._errors(key, "read the retention of"):
            self._client.stat_object(self.bucket, key)
            try:
                found = self._client.get_object_retention(self.bucket, key)
            except S3Error as exc:
                if exc.code in (
                    "NoSuchObjectLockConfiguration",
                    "ObjectLockConfigurationNotFoundError",
                ):
                    return None
                raise
        until = found.retain_until_date if found is not None else None
        return until if until is None or until.tzinfo else until.replace(tzinfo=UTC)

    def retain(self, key: str, until: datetime, *, mode: str = "COMPLIANCE") -> None:
        """Object lock retention on the current version, extended (never shortened)."""
        from minio.commonconfig import COMPLIANCE, GOVERNANCE
        from minio.retention import Retention

        if mode not in LOCK_MODES:
            raise ValueError(f"mode must be one of {LOCK_MODES}")
        until = (until if until.tzinfo else until.replace(tzinfo=UTC)).astimezone(UTC)
        if until <= datetime.now(UTC):
            return
        current = self.retained_until(key)
        if current is not None and current >= until:
            return
        if not self._object_lock:
            raise StoreUnavailable(
                f"the bucket {self.bucket} was created without object lock, so it cannot keep "
                "an original write-once"
            )
        try:
            with self._errors(key, "protect"):
                self._client.set_object_retention(
                    self.bucket,
                    key,
                    Retention(COMPLIANCE if mode == "COMPLIANCE" else GOVERNANCE, until),
                )
        except ObjectProtected:
            # Another deposit of the same bytes locked it meanwhile: done if long enough.
            current = self.retained_until(key)
            if current is None or current < until:
                raise

    def check(self) -> None:
        self._ensure_bucket()
        probe = f".probe-{secrets.token_hex(6)}"
        with self._errors(None, "write a probe object"):
            result = self._client._put_object(self.bucket, probe, b"ok", {})
            self._client.remove_object(self.bucket, probe, version_id=result.version_id)

    def close(self) -> None:
        self._http.clear()
