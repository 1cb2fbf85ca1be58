"""Request dependencies: the services, the caller's API key, scope and rate limit, the
stated purpose."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from kho.api.middleware import request_id
from kho.archive.identifiers import PURPOSE_CODE
from kho.archive.manifest import Actor
from kho.services import Access, ApiKey, Services
from kho.services.errors import MissingPurpose

__all__ = [
    "Caller",
    "OptionalPurpose",
    "Purpose",
    "ServicesDep",
    "access_for",
    "caller",
    "get_services",
    "purpose_header",
]


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]

# Declares the scheme in the OpenAPI document; the key itself is checked by KeyService.
bearer = HTTPBearer(
    auto_error=False,
    scheme_name="apiKey",
    bearerFormat="kho_<key id>_<secret>",
    description="An agency API key (`kho keys create` or `POST /api/v1/keys`), sent as "
    "`Authorization: Bearer kho_…`.",
)


def caller(scope: str) -> Callable[..., ApiKey]:
    """A dependency that authenticates the API key, requires `scope` and takes one request
    from the key's rate limit."""

    def dependency(
        services: ServicesDep,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> ApiKey:
        key = services.keys.authenticate(credentials.credentials if credentials else None)
        services.keys.require(key, scope)
        services.limiter.hit(key.key_id)
        return key

    return dependency


def _check_purpose(value: str) -> str:
    if not PURPOSE_CODE.fullmatch(value):
        raise MissingPurpose(
            "X-Dossier-Code must be 1-64 letters, digits, '.' or '-', e.g. "
            "000.00.15.H62-261122-0007"
        )
    return value


def purpose_header(
    x_dossier_code: Annotated[
        str | None,
        Header(
            alias="X-Dossier-Code",
            description="The dossier being processed (mã hồ sơ): the purpose of this access, "
            "recorded in the audit trail. Required for every request that returns a record or "
            "a subject's data.",
            examples=["000.00.15.H62-261122-0007"],
        ),
    ] = None,
) -> str:
    if x_dossier_code is None or not x_dossier_code.strip():
        raise MissingPurpose(
            "the X-Dossier-Code header is required: the dossier this access serves"
        )
    return _check_purpose(x_dossier_code)


def optional_purpose_header(
    x_dossier_code: Annotated[
        str | None,
        Header(
            alias="X-Dossier-Code",
            description="The dossier this action serves (mã hồ sơ), recorded in the audit "
            "trail; optional here.",
            examples=["000.00.15.H62-261122-0007"],
        ),
    ] = None,
) -> str | None:
    if x_dossier_code is None or not x_dossier_code.strip():
        return None
    return _check_purpose(x_dossier_code)


Purpose = Annotated[str, Depends(purpose_header)]
OptionalPurpose = Annotated[str | None, Depends(optional_purpose_header)]


def access_for(key: ApiKey, purpose: str | None = None) -> Access:
    return Access(
        actor=Actor(agency=key.agency, key_id=key.key_id),
        purpose=purpose,
        request_id=request_id.get(),
        allowed_procedure_codes=key.allowed_procedure_codes,
        allowed_result_types=key.allowed_result_types,
        acts_for=key.acts_for,
    )


Caller = ApiKey
