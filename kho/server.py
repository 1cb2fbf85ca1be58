"""The running server: the API and the web pages in one ASGI app, plus the background worker
that indexes deposits the index missed while it was down and keeps the audit trail sealed
and its event index caught up."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from kho.api.app import create_api
from kho.errors import KhoError
from kho.services import Services
from kho.web.app import install_web

__all__ = ["OutboxWorker", "create_app"]

log = logging.getLogger("kho.server")


class OutboxWorker:
    """Drains the outbox every few seconds, so index outages heal by themselves; and on a
    longer period seals the audit trail's loose batches when due and catches the event
    index up with the trail."""

    def __init__(
        self, services: Services, interval_s: float = 5.0, audit_interval_s: float = 30.0
    ) -> None:
        self.services = services
        self.interval_s = interval_s
        self.audit_interval_s = audit_interval_s
        self._next_audit = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kho-outbox", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                done = self.services.indexing.drain_outbox()
                if done:
                    log.info("indexed %d pending record(s)", done)
            except KhoError as exc:
                log.warning("outbox: %s", exc.detail)
            except Exception as exc:  # keep the worker alive; one line in the log
                log.error("outbox: %s: %s", type(exc).__name__, exc)
            try:
                self.services.refusals.flush()  # the last minute's summary of refusals
            except Exception as exc:
                log.error("refusals summary: %s: %s", type(exc).__name__, exc)
            if time.monotonic() >= self._next_audit:
                self._next_audit = time.monotonic() + self.audit_interval_s
                try:
                    chores = self.services.audit.maintain()
                    if any(chores.values()):
                        log.info("audit trail: %s", chores)
                except KhoError as exc:
                    log.warning("audit trail upkeep: %s", exc.detail)
                except Exception as exc:
                    log.error("audit trail upkeep: %s: %s", type(exc).__name__, exc)
                try:
                    # The indicators' aggregate follows the trail (every process's events).
                    self.services.indicators.catch_up()
                except KhoError as exc:
                    log.warning("indicators: %s", exc.detail)
                except Exception as exc:
                    log.error("indicators: %s: %s", type(exc).__name__, exc)
            self._stop.wait(self.interval_s)


def create_app(services: Services, *, outbox_worker: bool = True) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        worker = OutboxWorker(services) if outbox_worker else None
        if worker:
            worker.start()
        try:
            yield
        finally:
            if worker:
                worker.stop()

    app = create_api(services, lifespan=lifespan)
    install_web(app, services)
    return app
