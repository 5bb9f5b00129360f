"""Which database a store's `database.url` may make Lianfang connect to.

A store's database.url is data from wherever the store came from: connect only to this machine or to the live
database's host, so that opening a store sent by someone cannot make Lianfang call their server.
"""
from __future__ import annotations

import ipaddress
from urllib.parse import urlparse

from domain.application.settings import Settings

DRILL_DATABASE = "database.url"
LOOPBACK = {"localhost", "127.0.0.1", "::1"}


class RemoteStoreRefused(ValueError):
    """A store's database.url names a host that is neither this machine nor the live database's."""


def database_hosts(url: str) -> list[str]:
    """Every host a PostgreSQL URL would connect to, as libpq reads it (several hosts, `?host=`, `hostaddr`);
    a `service` names hosts in a file elsewhere, so it counts as one that is not known."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        params = conninfo_to_dict(url)
    except Exception:  # noqa: BLE001  (any way libpq cannot read it)
        raise RemoteStoreRefused(f"the store's {DRILL_DATABASE} is not a PostgreSQL URL: {redacted(url)[:80]!r}") from None
    hosts = [h.strip().lower() for key in ("host", "hostaddr") for h in str(params.get(key) or "").split(",") if h.strip()]
    return hosts + (["(a service from pg_service.conf)"] if params.get("service") else [])


def _loopback(host: str) -> bool:
    if host in LOOPBACK or host.startswith("/"):  # a Unix socket directory is this machine
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_database_host(url: str, live: Settings) -> None:
    """A store's database.url is data from wherever the store came from: connect only to this machine or to the
    live database's host, so that reviewing a store sent by someone cannot make Lianfang call their server."""
    trusted = set(database_hosts(live.database_url)) if live.database_url else set()
    foreign = [h for h in database_hosts(url) if not _loopback(h) and h not in trusted]
    if foreign:
        raise RemoteStoreRefused(f"the store's {DRILL_DATABASE} names the host {foreign[0][:80]}, which is neither this machine nor "
                           "the live database's host; if you trust the store, give --allow-remote-store")


def redacted(url: str) -> str:
    """A database URL fit to print: without its password."""
    parts = urlparse(url)
    if "@" not in parts.netloc or ":" not in parts.netloc.rsplit("@", 1)[0]:
        return url
    user, host = parts.netloc.rsplit("@", 1)
    return parts._replace(netloc=f"{user.split(':', 1)[0]}:***@{host}").geturl()
