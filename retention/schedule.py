"""Retention schedules: how long each kind of result is kept, from when, and what then.

A schedule is data (KHO_RETENTION_SCHEDULE, a JSON or YAML file), because ministers set the
sector tables (DOMAIN.md, Circular 10/2022/TT-BNV). Two forms are read:

* the older inline form, one object `{"<result type>": years | "permanent"}`;
* the full form, `{"version": "...", "rules": [...]}`, each rule
  `{"id", "result_type"?, "procedure_code"?, "issuer_code"?, "level"?, "years" | "permanent",
  "trigger"?, "action"?, "note"?}`. A rule matches a record when every criterion it names
  matches (`issuer_code` also matches the codes under it: `H62` matches `H62.01`); the most
  specific matching rule wins (the most criteria named; a tie goes to the earlier rule).

Periods are counted from the start of the year after the trigger, as Vietnamese practice
counts from the year the work ends: `retain_until`, the last day a record must be kept, is
31 December of (the trigger's year + the period). The trigger is the issue date
(`issued`, the default), the end of validity (`validity_end`), the supersession
(`superseded`) or the revocation (`revoked`); until a trigger has happened the record is
kept (no `retain_until` yet). A result no rule matches is kept permanently: an archive
never lets a result fall due by omission. A rule in years without an action destroys.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

from kho.retention.errors import ScheduleError

__all__ = [
    "PERMANENT",
    "Action",
    "RecordTerms",
    "RetentionDecision",
    "RetentionSchedule",
    "Rule",
    "ScheduleError",
    "Trigger",
]

PERMANENT = "permanent"
_PERMANENT_WORDS = frozenset({PERMANENT, "vĩnh viễn", "vinh vien"})
_RULE_FIELDS = frozenset(
    {
        "id",
        "result_type",
        "procedure_code",
        "issuer_code",
        "level",
        "years",
        "permanent",
        "trigger",
        "action",
        "note",
    }
)


class Trigger(StrEnum):
    issued = "issued"
    validity_end = "validity_end"
    superseded = "superseded"
    revoked = "revoked"


class Action(StrEnum):
    destroy = "destroy"
    transfer = "transfer"
    review = "review"


@dataclass(frozen=True)
class RecordTerms:
    """The facts of a record a schedule decides on (from its manifest)."""

    result_type: str
    procedure_code: str
    issuer_code: str
    issued_on: date
    valid_until: date | None = None
    superseded_on: date | None = None
    revoked_on: date | None = None
    level: str | None = None


@dataclass(frozen=True)
class RetentionDecision:
    rule: str
    period_years: int | None  # None: permanent
    retain_until: date | None  # None: permanent, or the trigger has not happened yet
    action: Action = Action.destroy
    trigger: Trigger = Trigger.issued

    @property
    def permanent(self) -> bool:
        return self.period_years is None


def _text(value: object) -> str:
    return unicodedata.normalize("NFC", str(value)).strip()


@dataclass(frozen=True)
class Rule:
    id: str
    years: int | None  # None: permanent
    result_type: str | None = None
    procedure_code: str | None = None
    issuer_code: str | None = None
    level: str | None = None
    trigger: Trigger = Trigger.issued
    action: Action = Action.destroy
    note: str | None = None

    @property
    def specificity(self) -> int:
        named = (self.result_type, self.procedure_code, self.issuer_code, self.level)
        return sum(1 for c in named if c is not None)

    def matches(self, terms: RecordTerms) -> bool:
        if self.result_type is not None and self.result_type != _text(terms.result_type):
            return False
        if self.procedure_code is not None and self.procedure_code != terms.procedure_code:
            return False
        if self.issuer_code is not None and not (
            terms.issuer_code == self.issuer_code
            or terms.issuer_code.startswith(self.issuer_code + ".")
        ):
            return False
        return self.level is None or self.level == terms.level

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id}
        for name in ("result_type", "procedure_code", "issuer_code", "level", "note"):
            if getattr(self, name) is not None:
                data[name] = getattr(self, name)
        if self.years is None:
            data["permanent"] = True
        else:
            data["years"] = self.years
        data["trigger"] = self.trigger.value
        data["action"] = self.action.value
        return data


def _years(where: str, value: object) -> int | None:
    if value is None or (isinstance(value, str) and _text(value).lower() in _PERMANENT_WORDS):
        return None
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= 500:
        return value
    raise ScheduleError(f"{where}: expected a number of years (1-500) or 'permanent'")


def _rule(where: str, raw: object, number: int) -> Rule:
    if not isinstance(raw, dict):
        raise ScheduleError(f"{where}: rule {number}: expected an object")
    unknown = sorted(set(map(str, raw)) - _RULE_FIELDS)
    if unknown:
        raise ScheduleError(f"{where}: rule {number}: unknown field {unknown[0]!r}")
    rule_id = _text(raw.get("id") or f"rule-{number}")
    here = f"{where}: rule {rule_id!r}"
    if raw.get("permanent") is True:
        if "years" in raw:
            raise ScheduleError(f"{here}: give either years or permanent, not both")
        years = None
    elif "years" in raw:
        years = _years(here, raw["years"])
    else:
        raise ScheduleError(f"{here}: give years (a number) or permanent: true")
    try:
        trigger = Trigger(str(raw.get("trigger", Trigger.issued.value)))
    except ValueError:
        choices = ", ".join(t.value for t in Trigger)
        raise ScheduleError(f"{here}: trigger must be one of {choices}") from None
    try:
        action = Action(str(raw.get("action", Action.destroy.value)))
    except ValueError:
        choices = ", ".join(a.value for a in Action)
        raise ScheduleError(f"{here}: action must be one of {choices}") from None

    def criterion(name: str) -> str | None:
        value = raw.get(name)
        if value is None:
            return None
        if not isinstance(value, str) or not _text(value):
            raise ScheduleError(f"{here}: {name} must be non-empty text")
        return _text(value)

    note = raw.get("note")
    return Rule(
        id=rule_id,
        years=years,
        result_type=criterion("result_type"),
        procedure_code=criterion("procedure_code"),
        issuer_code=criterion("issuer_code"),
        level=criterion("level"),
        trigger=trigger,
        action=action,
        note=_text(note) if isinstance(note, str) else None,
    )


@dataclass(frozen=True)
class RetentionSchedule:
    """The rules in force; `digest` (SHA-256 of the file) identifies this version."""

    rules: tuple[Rule, ...] = ()
    source: str = "built-in"
    version: str = "built-in"
    digest: str = field(default="")

    @property
    def periods(self) -> dict[str, int | None]:
        """The result types with a rule of their own (the older inline form's view)."""
        return {
            r.result_type: r.years
            for r in self.rules
            if r.result_type is not None and r.specificity == 1
        }

    @classmethod
    def load(cls, path: Path | None) -> RetentionSchedule:
        if path is None:
            return cls()
        if str(path).lstrip().startswith("{"):  # the value itself is the inline JSON form
            return cls.parse(str(path).encode("utf-8"), source="KHO_RETENTION_SCHEDULE")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ScheduleError(f"cannot read the retention schedule {path}: {exc}") from None
        return cls.parse(data, source=str(path))

    @classmethod
    def parse(cls, data: bytes, *, source: str = "inline") -> RetentionSchedule:
        try:
            text = data.decode("utf-8")
            raw = json.loads(text) if text.lstrip().startswith(("{", "[")) else yaml.safe_load(text)
        except (UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
            raise ScheduleError(f"cannot read the retention schedule {source}: {exc}") from None
        digest = hashlib.sha256(data).hexdigest()
        if isinstance(raw, dict) and "rules" in raw:
            rules_raw = raw["rules"]
            if not isinstance(rules_raw, list):
                raise ScheduleError(f"{source}: rules must be a list")
            rules = tuple(_rule(source, r, n) for n, r in enumerate(rules_raw, 1))
            ids = [r.id for r in rules]
            duplicate = next((i for i in ids if ids.count(i) > 1), None)
            if duplicate is not None:
                raise ScheduleError(f"{source}: two rules are named {duplicate!r}")
            version = _text(raw.get("version") or digest[:12])
            return cls(rules=rules, source=source, version=version, digest=digest)
        if not isinstance(raw, dict):
            raise ScheduleError(
                f'{source}: expected {{"rules": [...]}} or an object of result type → years'
            )
        # The older inline form: one rule per result type.
        rules = tuple(
            Rule(
                id=f"{_text(result_type)}:{'permanent' if years is None else f'{years}y'}",
                years=years,
                result_type=_text(result_type),
            )
            for result_type, value in raw.items()
            for years in (_years(f"{source}: {result_type!r}", value),)
        )
        return cls(rules=rules, source=source, version=digest[:12], digest=digest)

    def rule_for(self, terms: RecordTerms) -> Rule | None:
        best: Rule | None = None
        for rule in self.rules:
            if rule.matches(terms) and (best is None or rule.specificity > best.specificity):
                best = rule
        return best

    def decide_terms(self, terms: RecordTerms) -> RetentionDecision:
        rule = self.rule_for(terms)
        if rule is None:
            return RetentionDecision(rule="default:permanent", period_years=None, retain_until=None)
        if rule.years is None:
            return RetentionDecision(
                rule=rule.id,
                period_years=None,
                retain_until=None,
                action=rule.action,
                trigger=rule.trigger,
            )
        start = {
            Trigger.issued: terms.issued_on,
            Trigger.validity_end: terms.valid_until,
            Trigger.superseded: terms.superseded_on,
            Trigger.revoked: terms.revoked_on,
        }[rule.trigger]
        return RetentionDecision(
            rule=rule.id,
            period_years=rule.years,
            retain_until=date(start.year + rule.years, 12, 31) if start is not None else None,
            action=rule.action,
            trigger=rule.trigger,
        )

    def decide(self, result_type: str, issued_on: date, **facts: Any) -> RetentionDecision:
        """The decision for a result of `result_type` issued on `issued_on` (and the other
        RecordTerms facts given by name)."""
        terms = RecordTerms(
            result_type=result_type,
            procedure_code=str(facts.pop("procedure_code", "")),
            issuer_code=str(facts.pop("issuer_code", "")),
            issued_on=issued_on,
            **facts,
        )
        return self.decide_terms(terms)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "source": self.source,
            "digest": self.digest,
            "rules": [r.to_json() for r in self.rules],
        }
