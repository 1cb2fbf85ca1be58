"""/api/v1/keys: the agencies' API keys, for an administrator's key (scope keys:manage)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from kho.api.deps import ServicesDep, access_for, caller
from kho.api.openapi import problems
from kho.api.schemas import KeyCreated, KeyIn, KeyList, KeyOut
from kho.services import ApiKey

__all__ = ["router"]

router = APIRouter(tags=["keys"])
Admin = Annotated[ApiKey, Depends(caller("keys:manage"))]
KeyId = Annotated[
    str,
    Path(max_length=64, description="The key id (16 hex digits)", examples=["3f9a0c1d2e4b5a69"]),
]


@router.get(
    "/keys",
    response_model=KeyList,
    summary="List API keys (danh sách khóa API)",
    description="Every key with its agency, scopes, limits, expiry and revocation; never "
    "the secrets.",
)
def list_keys(services: ServicesDep, key: Admin) -> dict[str, Any]:
    keys = [k.to_json() for k in services.keys.list()]
    return {"items": keys, "total": len(keys)}


@router.post(
    "/keys",
    status_code=201,
    response_model=KeyCreated,
    summary="Create an API key for an agency (cấp khóa API)",
    description="The key (`token`) is in this response only; Kho keeps only its keyed hash. "
    "Optional limits restrict lookups to some procedure codes or result types. The key "
    "deposits, supersedes and revokes only for its `agency` and those in `on_behalf_of`. "
    "Audited.",
    responses=problems(422),
)
def create_key(services: ServicesDep, key: Admin, body: KeyIn) -> dict[str, Any]:
    created, token = services.keys.create(
        agency=body.agency,
        scopes=frozenset(body.scopes),
        access=access_for(key),
        label=body.label,
        expires_at=body.expires_at,
        allowed_procedure_codes=(
            frozenset(body.allowed_procedure_codes)
            if body.allowed_procedure_codes is not None
            else None
        ),
        allowed_result_types=(
            frozenset(body.allowed_result_types) if body.allowed_result_types is not None else None
        ),
        on_behalf_of=frozenset(body.on_behalf_of or ()),
    )
    return {**created.to_json(), "token": token}


@router.get(
    "/keys/{key_id}",
    response_model=KeyOut,
    summary="One API key",
    responses=problems(404, s404="No such key"),
)
def get_key(services: ServicesDep, key: Admin, key_id: KeyId) -> dict[str, Any]:
    return services.keys.get(key_id).to_json()


@router.post(
    "/keys/{key_id}/revoke",
    response_model=KeyOut,
    summary="Revoke an API key (thu hồi khóa API)",
    description="Refused everywhere within seconds, without a restart; its download links "
    "stop too. Revoking a revoked key changes nothing. Audited.",
    responses=problems(404, s404="No such key"),
)
def revoke_key(services: ServicesDep, key: Admin, key_id: KeyId) -> dict[str, Any]:
    return services.keys.revoke(key_id, access_for(key)).to_json()
