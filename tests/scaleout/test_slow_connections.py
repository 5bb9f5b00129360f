"""On a loaded machine PostgreSQL takes longer to give a new connection than the second a request may wait
for one. A store that is opening must wait for its database then, not fail: a loaded run of the suite once
failed a fixture with "couldn't get a connection after 1.00 sec" while the store was being opened."""
from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from urllib.parse import urlparse, urlunparse

import pytest

from domain.application.eventstore import store_env
from domain.application.settings import Settings

pytestmark = pytest.mark.integration

DELAY_SECONDS = 2.5  # each new connection reaches the database this late: slower than any use may wait (1 s; 2 s for read stores)


class SlowRelay:
    """A loopback TCP relay in front of the real database that holds each new connection back for a while."""

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.closed = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client: socket.socket) -> None:
        if self.closed.wait(DELAY_SECONDS):
            client.close()
            return
        server = socket.create_connection(self.upstream)
        for a, b in ((client, server), (server, client)):
            threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self.closed.set()
        self.listener.close()


@pytest.fixture
def slow_dsn(postgres_dsn: str) -> Iterator[str]:
    url = urlparse(postgres_dsn)
    relay = SlowRelay(url.hostname or "127.0.0.1", url.port or 5432)
    netloc = url.netloc.rsplit("@", 1)
    host = f"127.0.0.1:{relay.port}"
    yield urlunparse(url._replace(netloc=f"{netloc[0]}@{host}" if len(netloc) == 2 else host))
    relay.close()


def test_a_store_opened_while_the_database_is_slow_to_connect_waits_for_it_and_records(slow_dsn: str, tmp_path) -> None:
    from domain.application import Coordination

    app = Coordination(store_env(Settings(data_dir=tmp_path, database_url=slow_dsn)))
    try:
        assert app.recorder.max_notification_id() in (None, 0)
    finally:
        app.close()


def test_read_stores_opened_while_the_database_is_slow_to_connect_wait_for_it(slow_dsn: str) -> None:
    from projections.postgres import PgAuditTrail, PgCheckpointStore

    checkpoints, trail = PgCheckpointStore(slow_dsn, "ledger", 100), PgAuditTrail(slow_dsn, "audit")
    try:
        assert (checkpoints.position(), checkpoints.latest(), trail.position) == (0, None, 0)
    finally:
        checkpoints.close()
        trail.close()
