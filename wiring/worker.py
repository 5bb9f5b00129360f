"""`lianfang projections run`: the projection worker of scale-out mode, with a hot standby.

A PostgreSQL advisory lock lets one worker write the read models; another started beside it
waits on the lock and takes over, from the last checkpoint, when the first one dies.
"""
from __future__ import annotations

import logging
import signal as signals
import threading
from pathlib import Path

import psycopg

from domain.application import Coordination
from domain.clock import Clock
from domain.application.eventstore import CommitSignal, listen_for_commits, store_env
from domain.application.failures import FAILURES
from domain.application.settings import Settings
from projections.geography import Geography
from projections.postgres import LOCK_KEY
from projections.runner import Projections
from wiring.broker import make_broker

log = logging.getLogger("lianfang.worker")


def run_workers(settings: Settings, stop: threading.Event | None = None) -> None:
    """Compete for the lock, write the read models while holding it; on a lost connection, stop writing,
    reconnect with backoff and compete again. Never exits on a database fault: only when asked to stop."""
    if not settings.database_url:
        raise SystemExit("projection workers are for scale-out mode: set LIANFANG_DATABASE_URL (and LIANFANG_REDIS_URL)")
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signals.SIGTERM, signals.SIGINT):
            signals.signal(sig, lambda *_: stop.set())
    app = Coordination(store_env(settings))
    broker = make_broker(settings)
    backoff = 0.2
    try:
        while not stop.is_set():
            try:
                _hold_and_write(settings, app, broker, stop)
                backoff = 0.2
            except Exception as error:  # the database went away (or never came): try again, never exit
                FAILURES.failed("projection worker", error, "reconnecting and competing for the lock again")
                stop.wait(backoff)
                backoff = min(backoff * 2, 2.0)
    finally:
        broker.close()
        app.close()


def _hold_and_write(settings: Settings, app: Coordination, broker: object, stop: threading.Event) -> None:
    """One term as a worker: wait for the lock, then write until the lock's connection breaks or stop is set."""
    with psycopg.connect(settings.database_url, autocommit=True, connect_timeout=2) as lock:
        log.info("waiting for the projection lock (hot standby until the active worker stops)")
        while not stop.is_set():
            if lock.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,)).fetchone()[0]:
                break
            stop.wait(0.5)
        if stop.is_set():
            return
        FAILURES.recovered("projection worker")
        log.info("holding the projection lock: this worker writes the read models")
        commits = CommitSignal()
        listening = threading.Event()
        listen_for_commits(app, settings.database_url, commits, listening)
        # Fresh from the stored state each term: the tracked positions say where to resume.
        projections = Projections(app, settings, Geography.load(settings.geography_file), Path(settings.data_dir) / "projections",
                                  broker=broker, signal=commits, clock=Clock(), writes=True)
        saved = False
        try:
            projections.start()
            log.info("projections resume at position %d", projections.position)
            while not stop.wait(0.5):
                lock.execute("SELECT 1")  # the lock lives as long as this connection does
            saved = True
        finally:
            listening.set()
            # On a lost lock, nothing more is written: the next holder resumes from the stored positions.
            projections.stop(save=saved)
            if not saved:
                log.warning("lost the projection lock's connection; stopped writing at position %d", projections.position)
