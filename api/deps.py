"""Request dependencies: the services, the caller's API key, scope and rate limit, the
stated purpose."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from kho.api.middleware import request_id
from kho.api.refusals import client_address
from kho.archive.manifest import Actor
from kho.services import Access, ApiKey, Services
from kho.services.purpose import check_dossier_code

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


# The quick dependencies are coroutines: FastAPI runs a plain function dependency in its
# thread pool, one thread hop each, which cost a lookup more than the checks themselves.
async def get_services(request: Request) -> Services:
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
    from the key's rate limit (after the client address's refusal throttle)."""

    def dependency(
        request: Request,
        services: ServicesDep,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> ApiKey:
        # An address that keeps being refused is throttled before its key is looked at.
        services.refusals.check(client_address(request.scope))
        key = services.keys.authenticate(credentials.credentials if credentials else None)
        request.state.kho_key = key  # for the audit of a refusal (api/refusals.py)
        services.keys.require(key, scope)
        services.limiter.hit(key.key_id)
        return key

    return dependency


_PURPOSE_DOC = (
    "The dossier being processed (mã hồ sơ): the purpose of this access, recorded in the "
    "audit trail. By default the national form `V1V2V3.Z1Z2.Y1Y2.MX1X2-YYMMDD-XXXX` "
    "(a server may accept another form, `KHO_DOSSIER_CODE_PATTERN`); always 1-64 letters, "
    "digits, '.' or '-'."
)


async def purpose_header(
    services: ServicesDep,
    x_dossier_code: Annotated[
        str | None,
        Header(
            alias="X-Dossier-Code",
            description=_PURPOSE_DOC + " Required for every request that returns a record "
            "or a subject's data.",
            examples=["000.00.15.H62-261122-0007"],
        ),
    ] = None,
) -> str:
    return check_dossier_code(x_dossier_code, services.settings)


async def optional_purpose_header(
    services: ServicesDep,
    x_dossier_code: Annotated[
        str | None,
        Header(
            alias="X-Dossier-Code",
            description=_PURPOSE_DOC + " Optional here.",
            examples=["000.00.15.H62-261122-0007"],
        ),
    ] = None,
) -> str | None:
    if x_dossier_code is None or not x_dossier_code.strip():
        return None
    return check_dossier_code(x_dossier_code, services.settings)


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
