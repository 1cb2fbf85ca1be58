"""Request dependencies: the services, the caller's API key and scope, the stated purpose."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Header, Request

from kho.api.middleware import request_id
from kho.archive.identifiers import PURPOSE_CODE
from kho.archive.manifest import Actor
from kho.services import Access, ApiKey, Services
from kho.services.errors import MissingPurpose

__all__ = ["Caller", "Purpose", "caller", "get_services", "purpose_header"]


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def _bearer(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def caller(scope: str) -> Callable[..., ApiKey]:
    """A dependency that authenticates the API key and requires `scope`."""

    def dependency(
        services: ServicesDep,
        authorization: Annotated[
            str | None, Header(description="`Bearer <API key>`", include_in_schema=False)
        ] = None,
    ) -> ApiKey:
        key = services.keys.authenticate(_bearer(authorization))
        services.keys.require(key, scope)
        return key

    return dependency


def purpose_header(
    x_dossier_code: Annotated[
        str | None,
        Header(
            description="The dossier being processed: the purpose of this access, recorded in "
            "the audit trail. Required for every request that returns a record or a subject's "
            "data.",
            examples=["000.00.15.H62-261122-0007"],
        ),
    ] = None,
) -> str:
    if x_dossier_code is None or not x_dossier_code.strip():
        raise MissingPurpose(
            "the X-Dossier-Code header is required: the dossier this access serves"
        )
    if not PURPOSE_CODE.fullmatch(x_dossier_code):
        raise MissingPurpose(
            "X-Dossier-Code must be 1-64 letters, digits, '.' or '-', e.g. "
            "000.00.15.H62-261122-0007"
        )
    return x_dossier_code


Purpose = Annotated[str, Depends(purpose_header)]


def access_for(key: ApiKey, purpose: str | None = None) -> Access:
    return Access(
        actor=Actor(agency=key.agency, key_id=key.key_id),
        purpose=purpose,
        request_id=request_id.get(),
        allowed_procedure_codes=key.allowed_procedure_codes,
        allowed_result_types=key.allowed_result_types,
    )


Caller = ApiKey
