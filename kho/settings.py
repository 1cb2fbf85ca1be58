"""Kho's settings: every `KHO_` environment variable (and `.env`), read and validated here only."""

from __future__ import annotations

import os
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

__all__ = [
    "LogFormat",
    "SearchBackend",
    "Settings",
    "SettingsError",
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


class SettingsError(Exception):
    """A setting has a wrong value; the message names the variable and what is expected."""


def _split_paths(value: object) -> object:
    if isinstance(value, str):
        return [Path(p) for p in value.split(os.pathsep) if p.strip()]
    return value


PathList = Annotated[list[Path], NoDecode]


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

    # Agency registry: a file with one agency code per line; unknown agencies are refused
    # only when one is configured (DESIGN.md "Bad input and failure").
    agency_registry: Path | None = None
    # Retention periods per result type: a JSON file {"Giấy khai sinh": "permanent", ...};
    # ministers set the sector tables, so this is configuration (DOMAIN.md).
    retention_schedule: Path | None = None

    # How long a backend call may take before the request gets 503.
    backend_timeout_s: float = Field(default=10.0, gt=0)
    # Requests per minute per API key (0 = unlimited).
    rate_limit_per_minute: int = Field(default=600, ge=0)
    public_url: str = ""
    # The HMAC key API keys are hashed with; generated and kept in the object store if unset.
    api_key_secret: SecretStr | None = None
    # Signed download links (POST /records/{id}/content-links): the longest validity allowed.
    content_link_max_minutes: int = Field(default=60, ge=1, le=24 * 60)

    # The audit trail: loose batches are sealed into a segment every this many events, or
    # once the oldest loose event is this old; segments are write-once for this many years.
    audit_segment_events: int = Field(default=10_000, ge=10, le=1_000_000)
    audit_seal_after_s: float = Field(default=3600.0, gt=0)
    audit_retain_years: int = Field(default=10, ge=1, le=100)

    # Log lines as text (the default) or one JSON object per line; both carry the request id.
    log_format: LogFormat = LogFormat.text

    # Digitization (CONTRACT.md "Digitization"): the agency's signing key, from a PKCS#12
    # file or a PKCS#11 token; an RFC 3161 TSA makes the signature PAdES B-T.
    signing_pkcs12: Path | None = None
    signing_pkcs12_password: SecretStr | None = None
    signing_pkcs11_module: Path | None = None
    signing_pkcs11_token: str | None = None
    signing_pkcs11_pin: SecretStr | None = None
    signing_key_label: str | None = None
    tsa_url: str | None = None
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

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Ho_Chi_Minh)") from exc
        return value

    @field_validator("es_index")
    @classmethod
    def _index_name(cls, value: str) -> str:
        bare = value.replace("-", "").replace("_", "")
        if not value or not value.islower() or not bare.isascii() or not bare.isalnum():
            raise ValueError("must be lower-case letters, digits, '-' or '_'")
        return value

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
            name = "KHO_" + "_".join(str(p) for p in err["loc"][:1]).upper()
            problems.append(f"{name}: {err['msg']}")
        raise SettingsError("invalid setting: " + "; ".join(problems)) from None
