"""Who is asking and why, and what they may do: the rules every service applies to its
caller (CONTRACT.md "Reuse means trustworthy", agency-bound writes).

An agency's API key reads only the procedures and result types it is limited to, and
deposits, supersedes and revokes only for its own agency and those it was made
--on-behalf-of; an operator at the console, a person or the system may act for any.
"""

from __future__ import annotations

from dataclasses import dataclass

from kho.archive.manifest import Actor
from kho.services.errors import AccessDenied, MissingPurpose

__all__ = ["Access", "require_purpose"]


@dataclass(frozen=True)
class Access:
    """Who is asking and why: recorded with every read of a citizen's data."""

    actor: Actor
    purpose: str | None = None  # the dossier being processed (X-Dossier-Code)
    request_id: str | None = None
    # Limits of an agency's API key (None: no limit).
    allowed_procedure_codes: frozenset[str] | None = None
    allowed_result_types: frozenset[str] | None = None
    # The agencies an API key deposits, supersedes and revokes for: its own and those named
    # with --on-behalf-of. None: its actor's own agency if it is an agency's, else any (an
    # operator at the CLI, a person, the system).
    acts_for: frozenset[str] | None = None
    # An operator at Kho's own console (the CLI), who can read the store anyway: may search
    # without naming a dossier; audited all the same.
    console: bool = False

    @classmethod
    def system(cls, purpose: str | None = None) -> Access:
        return cls(actor=Actor(user="system"), purpose=purpose)

    def permits(self, procedure_code: str, result_type: str) -> bool:
        """Whether this caller's key limits allow reading a result of this kind."""
        if (
            self.allowed_procedure_codes is not None
            and procedure_code not in self.allowed_procedure_codes
        ):
            return False
        return self.allowed_result_types is None or result_type in self.allowed_result_types

    def require_depositing_for(self, issuer_code: str) -> None:
        """AccessDenied unless this caller may deposit results of `issuer_code`."""
        if not self.may_act_for(issuer_code):
            allowed = sorted(self.agencies or ())
            raise AccessDenied(
                f"this API key deposits only for {', '.join(allowed)}, not for issuer_code "
                f"{issuer_code} (a key may be made --on-behalf-of other agencies)",
                field="issuer_code",
            )

    @property
    def agencies(self) -> frozenset[str] | None:
        """The agencies this caller writes for (an agency's API key: its own and those it
        was made --on-behalf-of); None when it may act for any."""
        if self.acts_for is not None:
            return self.acts_for
        if self.actor.user is None and self.actor.agency is not None:
            return frozenset({self.actor.agency})
        return None

    def may_act_for(self, agency: str) -> bool:
        """Whether this caller may deposit, supersede, revoke or dispose of results of
        `agency`."""
        agencies = self.agencies
        return agencies is None or agency in agencies

    @property
    def limited(self) -> bool:
        return self.allowed_procedure_codes is not None or self.allowed_result_types is not None


def require_purpose(access: Access) -> None:
    """MissingPurpose unless the caller stated the dossier it reads a subject's data for."""
    if not access.purpose:
        raise MissingPurpose(
            "state the dossier being processed (X-Dossier-Code) to read a subject's data"
        )
