"""The agency registry (`KHO_AGENCY_REGISTRY`): which agency codes exist, and their names
and administrative levels where the file gives them.

One agency a line: `code`, or `code<TAB or ;>name`, or `code;name;level` (a TAB may stand
for either `;`). Blank lines and lines starting with `#` are skipped. The older form, bare
codes, reads as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kho.archive.identifiers import is_agency_code
from kho.archive.levels import level_named

__all__ = ["Agency", "AgencyRegistry", "RegistryError"]

_SEPARATOR = re.compile(r"[\t;]")


class RegistryError(ValueError):
    """A line of the registry file is malformed (the message names the line)."""


@dataclass(frozen=True)
class Agency:
    code: str
    name: str | None = None
    level: str | None = None


@dataclass(frozen=True)
class AgencyRegistry:
    agencies: dict[str, Agency] = field(default_factory=dict)

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(self.agencies)

    def name(self, code: str) -> str | None:
        agency = self.agencies.get(code)
        return agency.name if agency else None

    def level(self, code: str) -> str | None:
        agency = self.agencies.get(code)
        return agency.level if agency else None

    @classmethod
    def parse(cls, text: str) -> AgencyRegistry:
        agencies: dict[str, Agency] = {}
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            parts = [p.strip() for p in _SEPARATOR.split(line, maxsplit=2)]
            code = parts[0]
            if not is_agency_code(code):
                raise RegistryError(f"line {number}: {code!r} is not an agency code")
            name = parts[1] if len(parts) > 1 and parts[1] else None
            level = parts[2] if len(parts) > 2 and parts[2] else None
            if level is not None and level_named(level) is None:
                raise RegistryError(f"line {number}: unknown level {level!r}")
            agencies[code] = Agency(code, name, level)
        return cls(agencies)
