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
from domain.eventstore import CommitSignal, listen_for_commits, store_env
from domain.settings import Settings
from projections.broker import make_broker
from projections.geography import Geography
from projections.runner import Projections

log = logging.getLogger("lianfang.worker")
LOCK_KEY = 0x1F_A9_6A_4F  # "lianfang projections"


def run_workers(settings: Settings, stop: threading.Event | None = None) -> None:
    if not settings.database_url:
        raise SystemExit("projection workers are for scale-out mode: set LIANFANG_DATABASE_URL (and LIANFANG_REDIS_URL)")
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signals.SIGTERM, signals.SIGINT):
            signals.signal(sig, lambda *_: stop.set())
    lock = psycopg.connect(settings.database_url, autocommit=True, connect_timeout=3)
    log.info("waiting for the projection lock (hot standby until the active worker stops)")
    while not stop.is_set():
        if lock.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,)).fetchone()[0]:
            break
        stop.wait(0.5)
    if stop.is_set():
        return
    log.info("holding the projection lock: this worker writes the read models")
    app = Coordination(store_env(settings))
    commits = CommitSignal()
    listening = threading.Event()
    listen_for_commits(app, settings.database_url, commits, listening)
    broker = make_broker(settings)
    projections = Projections(app, settings, Geography.load(settings.geography_file), Path(settings.data_dir) / "projections",
                              broker=broker, signal=commits, clock=Clock(), writes=True)
    projections.catch_up()
    projections.start()
    log.info("projections at position %d", projections.position)
    try:
        while not stop.wait(1.0):
            lock.execute("SELECT 1")  # the lock lives as long as this connection does
    finally:
        listening.set()
        projections.stop()
        broker.close()
        lock.close()

