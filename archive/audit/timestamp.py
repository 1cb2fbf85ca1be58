"""RFC 3161 timestamps of audit checkpoints, from the TSA at `KHO_TSA_URL`.

A checkpoint's signature says Kho's key signed it; a TSA's token says, independently of
Kho and of the machine's clock, that the checkpoint existed at the token's time. The
request is built and the answer checked (status, nonce) by pyHanko; the HTTP exchange is a
plain POST of `application/timestamp-query` with httpx, like every other call Kho makes.
"""

from __future__ import annotations

import base64
import binascii

import httpx
from asn1crypto import cms, tsp
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko.sign.timestamps.common_utils import TimestampRequestError, handle_tsp_response

from kho.archive.signatures.paths import PathOutcome
from kho.archive.signatures.timestamps import check_token

__all__ = ["TimestampUnavailable", "request_timestamp", "timestamp_problem"]


class TimestampUnavailable(Exception):
    """The TSA could not be reached or refused the request."""


def request_timestamp(url: str, digest: bytes, *, timeout_s: float = 10.0) -> str:
    """A token over the SHA-256 `digest`, DER in base64; TimestampUnavailable on failure."""
    stamper = TimeStamper()  # type: ignore[no-untyped-call]
    nonce, request = stamper.request_cms(digest, "sha256")  # type: ignore[no-untyped-call]
    try:
        response = httpx.post(
            url,
            content=request.dump(),
            headers={"Content-Type": "application/timestamp-query"},
            timeout=timeout_s,
        )
    except httpx.HTTPError as exc:
        raise TimestampUnavailable(f"the TSA at {url} cannot be reached: {exc}") from None
    if response.status_code != 200:
        raise TimestampUnavailable(f"the TSA at {url} answered HTTP {response.status_code}")
    try:
        token = handle_tsp_response(tsp.TimeStampResp.load(response.content), nonce)
    except (TimestampRequestError, ValueError, TypeError) as exc:
        raise TimestampUnavailable(f"the TSA at {url} gave no usable token: {exc}") from None
    return base64.b64encode(token.dump()).decode("ascii")


def timestamp_problem(token_b64: str, digest: bytes) -> str | None:
    """Why the token does not stamp `digest` with a valid TSA signature; None if it does.
    (Whether to trust the TSA is the operator's choice of KHO_TSA_URL; its certificate
    chain is not judged here.)"""
    try:
        token = cms.ContentInfo.load(base64.b64decode(token_b64, validate=True))
        signed = token["content"]
        if not isinstance(signed, cms.SignedData):
            return "is not a timestamp token"
        check = check_token(
            signed,
            lambda algorithm: digest if algorithm == "sha256" else None,
            lambda _chain: PathOutcome(None, "not judged"),
        )
    except (ValueError, TypeError, KeyError, binascii.Error) as exc:
        return f"is unreadable ({exc})"
    if not check.intact:
        return "does not stamp this checkpoint (edited)"
    if not check.valid:
        return "is not validly signed by its TSA"
    return None
