"""Kho's settings: every `KHO_` environment variable (and `.env`), read and validated here only."""

from __future__ import annotations

import os
import re
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

__all__ = [
    "LogFormat",
    "SearchBackend",
    "Settings",
    "SettingsError",
    "SignaturePolicy",
    "StorageBackend",
    "load_settings",
]


class StorageBackend(StrEnum):
    local = "local"
    minio = "minio"


class SearchBackend(StrEnum):
    embedded = "embedded"
    elasticsearch = "elasticsearch"


class ExtractorBackend(StrEnum):
    embedded = "embedded"
    tika = "tika"


class LogFormat(StrEnum):
    text = "text"
    json = "json"


class SignaturePolicy(StrEnum):
    """Which signature verdicts permit reuse (`KHO_REUSE_SIGNATURE`); the rule that applies
    it is archive/reuse.py's."""

    total_passed = "TOTAL-PASSED"
    # Any indication of a signature that is there; a result without one is never reusable.
    any = "any"


class SettingsError(Exception):
    """A setting has a wrong value; the message names the variable and what is expected."""


def _split_paths(value: object) -> object:
    if isinstance(value, str):
        return [Path(p) for p in value.split(os.pathsep) if p.strip()]
    return value


PathList = Annotated[list[Path], NoDecode]
CheckpointLockMode = Literal["COMPLIANCE", "GOVERNANCE"]


class Settings(BaseSettings):
    """Every setting of CONTRACT.md, with its default; more may be added, none renamed."""

    model_config = SettingsConfigDict(
        env_prefix="KHO_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path = Path("./kho-data")
    storage: StorageBackend = StorageBackend.local
    search: SearchBackend = SearchBackend.embedded
    extractor: ExtractorBackend = ExtractorBackend.embedded

    trust_roots: PathList = Field(default_factory=list)
    trust_intermediates: PathList = Field(default_factory=list)
    crls: PathList = Field(default_factory=list)
    revocation_online: bool = False
    # Which signature verdicts let a result be reused (CONTRACT.md "Reuse means trustworthy"):
    # TOTAL-PASSED only, or `any` for pilots without trust roots (still reported).
    reuse_signature: SignaturePolicy = SignaturePolicy.total_passed
    validation_policy: Path | None = None
    """A validation policy file (JSON: accepted algorithms, key sizes and their end dates;
    what changes after signing do); None: the built-in policy."""

    timezone: str = "Asia/Ho_Chi_Minh"
    max_upload_mb: int = Field(default=50, ge=1, le=2048)
    max_pages: int = Field(default=2000, ge=1)
    extraction_timeout_s: float = Field(default=60.0, gt=0)

    minio_endpoint: str = "127.0.0.1:9000"
    minio_access_key: str = ""
    minio_secret_key: str = ""
    minio_bucket: str = "kho"
    minio_secure: bool = False

    es_url: str = "http://127.0.0.1:9200"
    es_index: str = "kho"

    tika_url: str = "http://127.0.0.1:9998"
    tika_ocr_language: str = "vie"

    # Agency registry: a file with one agency a line, `code`, `code<TAB or ;>name` or
    # `code;name;level`; unknown agencies are refused only when one is configured (DESIGN.md
    # "Bad input and failure"), and the names are shown in the indicators.
    agency_registry: Path | None = None
    # Decision 468's digitization targets per year and level, overriding the defaults
    # (services/indicator_targets.py): a JSON file {"2026": {"commune": 0.9}}.
    indicator_targets: Path | None = None
    # Retention periods per result type: a JSON file {"Giấy khai sinh": "permanent", ...};
    # ministers set the sector tables, so this is configuration (DOMAIN.md).
    retention_schedule: Path | None = None
    # Originals of permanent records (and of those whose retention trigger is still to come)
    # are under COMPLIANCE object lock for this many years from now, renewed by
    # `kho retention run` (retention/decide.py `lock_until`).
    retention_lock_horizon_years: int = Field(default=10, ge=1, le=100)
    # The object-lock mode of the originals on MinIO: COMPLIANCE (not even the root user
    # can delete or shorten it); GOVERNANCE only where an operator must be able to bypass
    # it (the test suite, to remove its buckets).
    retention_lock_mode: CheckpointLockMode = Field(default="COMPLIANCE")
    # Where transfers to the historical archive are written as BagIt packages (default:
    # KHO_DATA_DIR/transfers).
    retention_transfer_dir: Path | None = None

    # How long a backend call may take before the request gets 503.
    backend_timeout_s: float = Field(default=10.0, gt=0)
    # Requests per minute per API key (0 = unlimited).
    rate_limit_per_minute: int = Field(default=600, ge=0)
    # Refused requests (401, 403, refused deposits) a client address may make per minute;
    # past it that address gets 429 until its allowance refills (0 = unlimited).
    refusals_per_minute: int = Field(default=30, ge=0)
    # The base URL clients reach Kho at (https://kho.example.gov.vn); every absolute link
    # Kho makes starts with it. Unset, links are relative: never built from a Host header.
    public_url: str = ""
    # What X-Dossier-Code must look like: unset, the national dossier-code form
    # (V1V2V3.Z1Z2.Y1Y2.MX1X2-YYMMDD-XXXX); else this regular expression (full match),
    # always within 1-64 letters, digits, '.' and '-'.
    dossier_code_pattern: str | None = None
    # The HMAC key API keys and download links are keyed with; if unset, a random one is
    # kept in `secrets_dir` (never in the object store: services/secrets.py).
    api_key_secret: SecretStr | None = None
    # Where what must stay out of the store lives (mode 0700, files 0600): the HMAC key, the
    # audit checkpoint signing key, the local audit anchor. Default: beside the data folder,
    # `<KHO_DATA_DIR>-secrets`; never inside it.
    secrets_dir: Path | None = None
    # Signed download links (POST /records/{id}/content-links): the longest validity allowed,
    # checked when a link is made and again when it is followed.
    content_link_max_minutes: int = Field(default=60, ge=1, le=24 * 60)
    # A link serves downloads for this many seconds after its first use, then no more (room
    # for a viewer's range requests and a retry, not for a link found later in a log).
    content_link_use_window_s: int = Field(default=120, ge=1, le=24 * 3600)

    # The audit trail: loose batches are sealed into a segment every this many events, or
    # once the oldest loose event is this old; segments are write-once for this many years.
    audit_segment_events: int = Field(default=10_000, ge=10, le=1_000_000)
    audit_seal_after_s: float = Field(default=3600.0, gt=0)
    audit_retain_years: int = Field(default=10, ge=1, le=100)
    # Audit checkpoints (archive/audit/checkpoint.py): the head of the chain signed with a key
    # kept out of the store, written at every seal, every this many events and at least this
    # often while events arrive; the latest kept where the store's writer cannot rewrite it.
    audit_checkpoint_events: int = Field(default=1000, ge=1, le=1_000_000)
    audit_checkpoint_after_s: float = Field(default=300.0, gt=0)
    # Ed25519 private key (PEM, mode 0600) that signs checkpoints; made on first use.
    # Default: `<secrets_dir>/audit-checkpoint.key`. Every server of one archive needs the same.
    audit_checkpoint_key: Path | None = None
    # On MinIO, checkpoints are create-only objects under this object-lock mode.
    audit_checkpoint_lock_mode: CheckpointLockMode = Field(default="COMPLIANCE")
    # An RFC 3161 time-stamping authority; when set, every checkpoint carries its token and
    # digitized copies are signed PAdES B-T.
    tsa_url: str = ""

    # Text extraction runs in worker processes (kho/pools.py) with these bounds:
    # decompressed bytes per file (and at most `max_inflate_ratio` times the file's size,
    # never less than 4 MB), the worker's address space, and how many workers.
    max_extract_mb: int = Field(default=64, ge=1, le=4096)
    max_inflate_ratio: int = Field(default=100, ge=1, le=100_000)
    extract_memory_mb: int = Field(default=1024, ge=128, le=65536)
    extract_workers: int = Field(default=2, ge=1, le=64)
    # Signature validation runs in the same workers, with its own bounds on time and on
    # the worker's address space (pyHanko reads every object of every revision).
    validation_timeout_s: float = Field(default=60.0, gt=0)
    validation_memory_mb: int = Field(default=2048, ge=256, le=65536)

    # Log lines as text (the default) or one JSON object per line; both carry the request id.
    log_format: LogFormat = LogFormat.text

    # The web UI's sessions (signed cookies): closed after this many idle minutes, and in
    # any case after `session_max_hours`.
    session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    session_max_hours: int = Field(default=12, ge=1, le=24 * 30)

    # Digitization (CONTRACT.md "Digitization"): the agency's signing key, from a PKCS#12
    # file or a PKCS#11 token; an RFC 3161 TSA makes the signature PAdES B-T.
    signing_pkcs12: Path | None = None
    signing_pkcs12_password: SecretStr | None = None
    signing_pkcs11_module: Path | None = None
    signing_pkcs11_token: str | None = None
    signing_pkcs11_pin: SecretStr | None = None
    signing_key_label: str | None = None
    # (`tsa_url` above also makes a digitized copy's signature PAdES B-T.)
    # Where the signature says it was made (e.g. "Lai Châu, Việt Nam").
    signing_location: str | None = None
    # Limits on one result's scans; OCR gives up on a page (and on the whole) after these.
    digitize_max_pages: int = Field(default=100, ge=1, le=5000)
    digitize_max_page_mpixels: float = Field(default=80.0, gt=0, le=1000)
    ocr_language: str = "vie"
    ocr_page_timeout_s: float = Field(default=120.0, gt=0)
    ocr_timeout_s: float = Field(default=1800.0, gt=0)
    # Fields and pages below this OCR confidence (0..1) are listed for review.
    digitize_review_below: float = Field(default=0.8, ge=0, le=1)
    # veraPDF (the greenfield-apps jar from Maven Central) for the PDF/A checks; when unset,
    # Kho looks in ~/.cache/kho/downloads and /var/cache/kho, else checks the structure itself.
    verapdf_jar: Path | None = None

    @field_validator("trust_roots", "trust_intermediates", "crls", mode="before")
    @classmethod
    def _paths(cls, value: object) -> object:
        return _split_paths(value)

    @field_validator("reuse_signature", mode="before")
    @classmethod
    def _reuse_signature(cls, value: object) -> object:
        if isinstance(value, str):
            folded = value.strip()
            return "any" if folded.lower() == "any" else folded.upper()
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Ho_Chi_Minh)") from exc
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value:
            return ""
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
            raise ValueError("must be an http(s) URL such as https://kho.example.gov.vn")
        return value

    @field_validator("dossier_code_pattern")
    @classmethod
    def _dossier_pattern(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
        return value

    @field_validator("es_index")
    @classmethod
    def _index_name(cls, value: str) -> str:
        bare = value.replace("-", "").replace("_", "")
        if not value or not value.islower() or not bare.isascii() or not bare.isalnum():
            raise ValueError("must be lower-case letters, digits, '-' or '_'")
        return value

    @model_validator(mode="after")
    def _secrets_outside_the_data(self) -> Settings:
        data = self.data_dir.resolve()
        for name, path in (
            ("secrets_dir", self.secrets_folder),
            ("audit_checkpoint_key", self.checkpoint_key_path),
        ):
            if path.resolve().is_relative_to(data):
                raise ValueError(
                    f"KHO_{name.upper()} ({path}) is inside KHO_DATA_DIR ({data}): keep secrets "
                    "and the audit anchor out of the store"
                )
        return self

    @property
    def secrets_folder(self) -> Path:
        if self.secrets_dir is not None:
            return self.secrets_dir
        data = self.data_dir.resolve()
        return data.with_name(f"{data.name}-secrets")

    @property
    def checkpoint_key_path(self) -> Path:
        return self.audit_checkpoint_key or self.secrets_folder / "audit-checkpoint.key"

    @property
    def max_extract_bytes(self) -> int:
        return self.max_extract_mb * 1024 * 1024

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024


def load_settings(**overrides: object) -> Settings:
    """Read the settings; a wrong value raises SettingsError naming the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            if not err["loc"]:  # a check across settings names them in its message
                problems.append(str(err["msg"]).removeprefix("Value error, "))
                continue
            name = "KHO_" + "_".join(str(p) for p in err["loc"][:1]).upper()
            problems.append(f"{name}: {err['msg']}")
        raise SettingsError("invalid setting: " + "; ".join(problems)) from None
