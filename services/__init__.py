"""The services: Kho's domain logic, shared by the API, the web UI and the CLI.

They know nothing of HTTP. `Services` bundles one instance of each over one set of backends;
kho/wiring.py builds it from the settings.
"""

from __future__ import annotations

from datetime import date

from kho.archive.agencies import AgencyRegistry
from kho.indexer.indicators import IndicatorAggregate
from kho.services.access import Access
from kho.services.audit import AuditService
from kho.services.base import Backends
from kho.services.deposit import DepositOutcome, DepositService
from kho.services.digitize import DigitizeOutcome, DigitizeService
from kho.services.fixity import FixityReport, FixityService
from kho.services.health import HealthService
from kho.services.indexing import IndexingService
from kho.services.indicator_targets import Targets
from kho.services.indicators import IndicatorService
from kho.services.keys import SCOPES, ApiKey, KeyService
from kho.services.lifecycle import LifecycleService
from kho.services.links import ContentLink, ContentLinkService
from kho.services.lookup import LookupService, SearchService
from kho.services.paging import Page
from kho.services.queries import LookupQuery, SearchQuery
from kho.services.ratelimit import RateLimiter
from kho.services.records import Content, RecordService
from kho.services.refusals import RefusalGuard
from kho.services.retention import RetentionService
from kho.services.settlements import SettlementService
from kho.services.users import User, UserService
from kho.services.verify import VerifyService

__all__ = [
    "SCOPES",
    "Access",
    "ApiKey",
    "Backends",
    "Content",
    "ContentLink",
    "DepositOutcome",
    "DigitizeOutcome",
    "FixityReport",
    "LookupQuery",
    "Page",
    "SearchQuery",
    "Services",
    "User",
]


class Services:
    """One of each service over the same backends."""

    def __init__(
        self,
        backends: Backends,
        *,
        agencies: frozenset[str] | None = None,
        registry: AgencyRegistry | None = None,
        indicator_aggregate: IndicatorAggregate,
        targets: Targets | None = None,
    ) -> None:
        if registry is not None and agencies is None:
            agencies = registry.codes
        self.backends = backends
        self.settings = backends.settings
        self.audit = AuditService(backends)
        self.indexing = IndexingService(backends)
        self.verify = VerifyService(backends, self.audit, self.indexing)
        self.retention = RetentionService(
            backends,
            self.audit,
            self.indexing,
            levels=registry.level if registry is not None else None,
        )
        self.lifecycle = LifecycleService(backends, self.audit, self.indexing, self.retention)
        self.deposit = DepositService(
            backends, self.audit, self.indexing, self.verify, self.lifecycle, agencies,
            retention=self.retention,
        )
        self.content_claims = self.deposit.content
        self.digitize = DigitizeService(backends, self.deposit)
        self.records = RecordService(backends, self.audit)
        self.lookup = LookupService(backends, self.audit)
        self.search = SearchService(backends, self.audit)
        self.fixity = FixityService(backends, self.audit)
        self.keys = KeyService(backends, self.audit)
        self.users = UserService(backends, self.audit)
        # Shared by every process on this machine (the workers of `kho serve --workers N`).
        self.limiter = RateLimiter(
            backends.settings.rate_limit_per_minute,
            path=backends.settings.data_dir / "state" / "ratelimit.sqlite3",
        )
        self.refusals = RefusalGuard(self.audit, per_minute=backends.settings.refusals_per_minute)
        self.links = ContentLinkService(backends, self.audit, self.keys, self.records, self.limiter)
        self.health = HealthService(backends)
        self.settlements = SettlementService(backends, self.audit, registry)
        self.indicators = IndicatorService(
            backends,
            self.audit,
            indicator_aggregate,
            registry=registry,
            targets=targets or Targets(),
        )

    def today(self) -> date:
        """Today in KHO_TIMEZONE, by the services' clock."""
        return self.backends.today()

    def close(self) -> None:
        self.refusals.flush(force=True)
        self.digitize.close()
        self.limiter.close()
        self.audit.close()
        self.indicators.aggregate.close()
        self.backends.close()
