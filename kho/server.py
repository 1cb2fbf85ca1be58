"""The running server: the API and the web pages in one ASGI app, plus the background worker
that indexes deposits the index missed while it was down and keeps the audit trail sealed
and its event index caught up."""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from kho.api.app import create_api
from kho.errors import KhoError
from kho.services import Services
from kho.web.app import install_web

__all__ = ["OutboxWorker", "create_app", "create_worker_app"]

log = logging.getLogger("kho.server")


class OutboxWorker:
    """Drains the outbox every few seconds, so index outages heal by themselves; and on a
    longer period seals the audit trail's loose batches when due and catches the event
    index and the indicators up with the trail.

    Of the workers of one `kho serve --workers N` (one data folder), only the one holding
    the flock on KHO_DATA_DIR/state/chores.lock does the trail's chores: each catch-up
    reads the trail since its watermark, and N workers doing it every 30 s did the same
    reading N times. When that worker exits, its lock goes with it and the next worker to
    try takes over. Each worker still drains the outbox (a record is indexed once
    whichever does it)."""

    def __init__(
        self, services: Services, interval_s: float = 5.0, audit_interval_s: float = 30.0
    ) -> None:
        self.services = services
        self.interval_s = interval_s
        self.audit_interval_s = audit_interval_s
        self._next_audit = 0.0
        self._chores_fd: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kho-outbox", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        if self._chores_fd is not None:
            os.close(self._chores_fd)  # releases the lock for another server
            self._chores_fd = None

    def _has_chores(self) -> bool:
        """Whether this process does the trail's chores (holds, or now takes, the lock);
        True if the lock file cannot be used at all (then every worker does them)."""
        if self._chores_fd is not None:
            return True
        try:
            folder = self.services.settings.data_dir / "state"
            folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(folder / "chores.lock", os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            log.warning("chores lock: %s; this worker does them anyway", exc)
            return True
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)  # another worker does them
            return False
        self._chores_fd = fd
        return True

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
            if time.monotonic() >= self._next_audit and self._has_chores():
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


def create_app(
    services: Services, *, outbox_worker: bool = True, close_services: bool = False
) -> FastAPI:
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
            if close_services:
                services.close()

    app = create_api(services, lifespan=lifespan)
    install_web(app, services)
    return app


def create_worker_app() -> FastAPI:
    """One worker process of `kho serve --workers N` (uvicorn's factory): its own services,
    built from the settings, over the backends every worker shares. The store's writes,
    the audit chain (create-only batches, forks.py), the embedded index (SQLite: one
    writer at a time, the others wait on its lock), the rate limits (one SQLite file) and
    the metrics (prometheus-client's multiprocess files) are safe across processes; each
    worker drains the outbox too, and a record is indexed once whichever does it."""
    from kho.logs import configure_logging
    from kho.settings import LogFormat, load_settings
    from kho.wiring import build_services

    settings = load_settings()
    configure_logging(
        logging.INFO, json_lines=settings.log_format is LogFormat.json, zone=settings.zone
    )
    return create_app(build_services(settings), close_services=True)
