"""Real PostgreSQL and Redis servers for the test suite (no mocks).

Each server runs on a free loopback port with its files in a temporary
directory.  Servers are stopped

* explicitly with ``.stop()`` (or by leaving a ``with`` block),
* at interpreter exit (``atexit``), for every server still running, and
* by the kernel if the Python process dies without running ``atexit``
  (SIGKILL, segfault): each server is started through
  ``setpriv --pdeathsig KILL``, so it receives SIGKILL when the thread that
  started it exits.  Start servers from the main thread (pytest fixtures do).

PostgreSQL refuses to run as root.  When we are root, ``initdb`` and
``postgres`` run as the unprivileged ``postgres`` system user (created by the
Debian package); its data directory is owned by that user.  When we are not
root they run as ourselves.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from pathlib import Path

__all__ = [
    "PostgresServer",
    "RedisServer",
    "ServerError",
    "chromium_path",
    "find_free_port",
    "postgres_bin_dir",
    "start_postgres",
    "start_redis",
]

HOST = "127.0.0.1"
PG_SYSTEM_USER = "postgres"

# Every server that has been started and not yet stopped.
_LIVE: list["_Server"] = []


class ServerError(RuntimeError):
    """A server could not be started; the message includes its log tail."""


def find_free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def chromium_path() -> str | None:
    """Path of the Debian Chromium (``apt-get install chromium``), or None."""
    for path in ("/usr/bin/chromium",):
        if os.access(path, os.X_OK):
            return path
    return None


def postgres_bin_dir() -> Path | None:
    """Directory holding initdb/postgres: $LIANFANG_PG_BIN, the newest
    /usr/lib/postgresql/<ver>/bin, or the directory of ``initdb`` on PATH."""
    env = os.environ.get("LIANFANG_PG_BIN")
    if env:
        return Path(env)

    def version(d: str) -> tuple[int, ...]:
        m = re.search(r"/postgresql/([\d.]+)/bin$", d)
        return tuple(int(x) for x in m.group(1).split(".")) if m else (0,)

    for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True):
        if all(os.access(os.path.join(d, b), os.X_OK) for b in ("initdb", "postgres")):
            return Path(d)
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


# --------------------------------------------------------------------------
# process plumbing


def _is_root() -> bool:
    return os.geteuid() == 0


def _setpriv_prefix(as_user: str | None) -> list[str]:
    """Command prefix that (optionally) drops to ``as_user`` and asks the
    kernel to SIGKILL the child if we die."""
    if shutil.which("setpriv") is None:
        if as_user is not None:
            return ["runuser", "-u", as_user, "--"]
        return []
    prefix = ["setpriv", "--pdeathsig", "KILL"]
    if as_user is not None:
        prefix += [f"--reuid={as_user}", f"--regid={as_user}", "--init-groups"]
    return prefix + ["--"]


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.setdefault("LC_ALL", "C.UTF-8")
    return env


def _tail(path: Path, n: int = 40) -> str:
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join(lines[-n:])


def _traversable_by(path: Path, uid: int, gids: set[int]) -> bool:
    """True if every ancestor of ``path`` can be searched by uid/gids."""
    for p in [path, *path.parents]:
        st = p.stat()
        if st.st_uid == uid:
            bit = stat.S_IXUSR
        elif st.st_gid in gids:
            bit = stat.S_IXGRP
        else:
            bit = stat.S_IXOTH
        if not st.st_mode & bit:
            return False
    return True


class _Server:
    """A child process we own, stopped at exit."""

    name = "server"
    log_path: Path
    _proc: subprocess.Popen | None = None
    _cleanup_dirs: list[Path]

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def _spawn(self, argv: list[str]) -> None:
        with open(self.log_path, "ab") as log:
            self._proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=_clean_env(),
                start_new_session=True,  # Ctrl-C in the terminal goes to pytest only
                close_fds=True,
            )
        if self not in _LIVE:
            _LIVE.append(self)

    def _signal(self, sig: int, *, group: bool = False) -> None:
        if self.running:
            with contextlib.suppress(ProcessLookupError):
                if group:  # the whole session: postgres backends too
                    os.killpg(self._proc.pid, sig)
                else:
                    self._proc.send_signal(sig)

    def _wait(self, timeout: float) -> bool:
        try:
            self._proc.wait(timeout)
            return True
        except subprocess.TimeoutExpired:
            return False

    def kill(self) -> None:
        """SIGKILL the server (a crash: no shutdown work, no flush)."""
        if self._proc is None:
            return
        self._signal(signal.SIGKILL, group=True)
        self._proc.wait()
        # Let orphaned children (postgres backends) go too.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._proc.pid, signal.SIGKILL)

    def _graceful_signal(self) -> int:
        return signal.SIGTERM

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the server cleanly (SIGKILL if it does not stop in time).
        Idempotent.  Files stay in place, so ``restart()`` works."""
        if self._proc is not None:
            if self.running:
                self._signal(self._graceful_signal())
                if not self._wait(timeout):
                    self.kill()
            else:
                self._proc.wait()
        if self in _LIVE:
            _LIVE.remove(self)

    def close(self) -> None:
        """``stop()`` and remove directories the helper created outside the
        caller's tmpdir (the caller owns its tmpdir)."""
        self.stop()
        for d in self._cleanup_dirs:
            shutil.rmtree(d, ignore_errors=True)
        self._cleanup_dirs = []

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@atexit.register
def _stop_all() -> None:
    for server in list(reversed(_LIVE)):
        with contextlib.suppress(Exception):
            server.close()


# --------------------------------------------------------------------------
# PostgreSQL


class PostgresServer(_Server):
    """A PostgreSQL cluster of our own.

    ``dsn``        postgresql://lianfang:<pw>@127.0.0.1:<port>/lianfang (owner role,
                   LOGIN CREATEDB, owns database ``lianfang``)
    ``admin_dsn``  the ``postgres`` superuser, database ``postgres``
    """

    name = "postgres"

    def __init__(
        self,
        base_dir: Path,
        bin_dir: Path,
        port: int,
        *,
        fsync: bool,
        run_as: str | None,
        cleanup_dirs: list[Path],
    ) -> None:
        self.base_dir = base_dir
        self.data_dir = base_dir / "data"
        self.log_path = base_dir / "postgres.log"
        self.bin_dir = bin_dir
        self.host = HOST
        self.port = port
        self.fsync = fsync
        self.run_as = run_as
        self.user = "lianfang"
        self.password = secrets.token_hex(12)
        self.dbname = "lianfang"
        self.admin_user = "postgres"
        self.admin_password = secrets.token_hex(12)
        self._cleanup_dirs = cleanup_dirs

    # DSNs -----------------------------------------------------------------

    def dsn_for(self, dbname: str, *, admin: bool = False) -> str:
        user, pw = (self.admin_user, self.admin_password) if admin else (self.user, self.password)
        return f"postgresql://{user}:{pw}@{self.host}:{self.port}/{dbname}"

    @property
    def dsn(self) -> str:
        return self.dsn_for(self.dbname)

    @property
    def admin_dsn(self) -> str:
        return self.dsn_for("postgres", admin=True)

    def __repr__(self) -> str:
        return f"<PostgresServer {self.host}:{self.port} pid={self.pid} data={self.data_dir}>"

    # lifecycle -------------------------------------------------------------

    def _chown(self, path: Path) -> None:
        if self.run_as is not None:
            pw = pwd.getpwnam(self.run_as)
            os.chown(path, pw.pw_uid, pw.pw_gid)

    def initdb(self) -> None:
        self.base_dir.mkdir(parents=True, exist_ok=True)
        self._chown(self.base_dir)
        pwfile = self.base_dir / "pwfile"
        pwfile.write_text(self.admin_password + "\n")
        pwfile.chmod(0o600)
        self._chown(pwfile)
        argv = [
            *_setpriv_prefix(self.run_as),
            str(self.bin_dir / "initdb"),
            "--pgdata", str(self.data_dir),
            "--username", self.admin_user,
            "--pwfile", str(pwfile),
            "--auth", "scram-sha-256",
            "--encoding", "UTF8",
            "--locale", "C.UTF-8",
        ]
        if not self.fsync:
            argv.append("--no-sync")
        try:
            res = subprocess.run(
                argv, cwd=self.base_dir, env=_clean_env(), stdin=subprocess.DEVNULL,
                capture_output=True, text=True, timeout=120,
            )
        finally:
            pwfile.unlink(missing_ok=True)
        if res.returncode != 0:
            raise ServerError(f"initdb failed ({res.returncode}):\n{res.stdout}\n{res.stderr}")

    def start(self, timeout: float = 60.0) -> None:
        if self.running:
            return
        settings = {
            "listen_addresses": self.host,
            "port": str(self.port),
            "unix_socket_directories": "",  # TCP only; no socket-path length limits
            "fsync": "on" if self.fsync else "off",
            "full_page_writes": "on" if self.fsync else "off",
            "synchronous_commit": "on",  # a commit's WAL reaches the kernel: a killed server loses nothing
            "max_connections": "200",
            "shared_buffers": "64MB",
            "logging_collector": "off",
            "log_min_messages": "warning",
        }
        argv = [*_setpriv_prefix(self.run_as), str(self.bin_dir / "postgres"), "-D", str(self.data_dir)]
        for k, v in settings.items():
            argv += ["-c", f"{k}={v}"]
        self._spawn(argv)
        self._wait_ready(timeout)

    def _wait_ready(self, timeout: float) -> None:
        import psycopg

        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            if not self.running:
                raise ServerError(
                    f"postgres exited with {self._proc.returncode} on port {self.port}:\n"
                    + _tail(self.log_path)
                )
            try:
                with psycopg.connect(self.admin_dsn, connect_timeout=2):
                    return
            except psycopg.OperationalError as e:
                last = e
                time.sleep(0.1)
        self.kill()
        raise ServerError(f"postgres not ready after {timeout}s: {last}\n" + _tail(self.log_path))

    def _graceful_signal(self) -> int:
        return signal.SIGINT  # "fast" shutdown: roll back sessions, checkpoint, exit

    def restart(self, timeout: float = 60.0) -> None:
        """Stop (if running) and start again on the same port and data."""
        self.stop()
        self.start(timeout)

    # databases -------------------------------------------------------------

    def _admin(self):
        import psycopg

        return psycopg.connect(self.admin_dsn, autocommit=True, connect_timeout=10)

    def setup_roles(self) -> None:
        from psycopg import sql

        with self._admin() as conn:
            conn.execute(
                sql.SQL("CREATE ROLE {} LOGIN CREATEDB PASSWORD {}").format(
                    sql.Identifier(self.user), sql.Literal(self.password)
                )
            )
        self.create_database(self.dbname)

    def create_database(self, name: str | None = None, template: str | None = None) -> str:
        """CREATE DATABASE (random name if none) owned by ``user``, optionally a
        copy of ``template`` (which must have no open connections); returns its DSN."""
        from psycopg import sql

        name = name or f"t_{secrets.token_hex(8)}"
        statement = sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(name), sql.Identifier(self.user))
        if template:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        with self._admin() as conn:
            conn.execute(statement)
        return self.dsn_for(name)

    def drop_database(self, name: str) -> None:
        """DROP DATABASE, disconnecting anyone still connected."""
        from psycopg import sql

        with self._admin() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _postgres_base_dir(tmpdir: Path, run_as: str | None, port: int) -> tuple[Path, list[Path]]:
    """Where the cluster lives.  Under ``tmpdir`` if the server user can reach
    it; otherwise (root's pytest tmp dirs are 0700) in a fresh /tmp dir that
    ``close()`` removes."""
    if run_as is None:
        return tmpdir / f"postgres-{port}", []
    pw = pwd.getpwnam(run_as)
    gids = {pw.pw_gid, *os.getgrouplist(run_as, pw.pw_gid)}
    if _traversable_by(tmpdir, pw.pw_uid, gids):
        return tmpdir / f"postgres-{port}", []
    _sweep_stale_pg_dirs()
    d = Path(tempfile.mkdtemp(prefix=f"{_PG_TMP_PREFIX}{port}-"))
    return d, [d]


_PG_TMP_PREFIX = "lianfang-pg-"


def _sweep_stale_pg_dirs(min_age: float = 3600.0) -> None:
    """Remove /tmp clusters left by a session that was SIGKILLed (its servers
    died with it, but atexit never ran): older than ``min_age`` and with no
    live postmaster."""
    now = time.time()
    for d in Path(tempfile.gettempdir()).glob(_PG_TMP_PREFIX + "*"):
        try:
            if now - d.stat().st_mtime < min_age:
                continue
            pidfile = d / "data" / "postmaster.pid"
            if pidfile.exists():
                pid = int(pidfile.read_text().split()[0])
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, 0)
                    state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
                    if state != "Z":
                        continue  # still running
        except (OSError, ValueError, IndexError):
            continue
        shutil.rmtree(d, ignore_errors=True)


def start_postgres(
    tmpdir: str | os.PathLike,
    *,
    fsync: bool = True,
    port: int | None = None,
    timeout: float = 60.0,
) -> PostgresServer:
    """initdb + start a PostgreSQL cluster on a free loopback port, create role
    ``lianfang`` (with password) and database ``lianfang``.  ``fsync=False``
    is faster and still loses no commit when the server is killed (its WAL is
    written to the kernel before the commit returns), but not on power loss."""
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        raise ServerError(
            "PostgreSQL server binaries not found (looked in /usr/lib/postgresql/*/bin "
            "and PATH); run .ci/system-deps (Debian package: postgresql)"
        )
    run_as: str | None = None
    if _is_root():
        try:
            pwd.getpwnam(PG_SYSTEM_USER)
        except KeyError:
            raise ServerError(
                f"running as root but there is no {PG_SYSTEM_USER!r} system user to run "
                "PostgreSQL as; install the Debian package postgresql"
            ) from None
        run_as = PG_SYSTEM_USER

    tmpdir = Path(tmpdir).resolve()
    tmpdir.mkdir(parents=True, exist_ok=True)
    attempts = 1 if port is not None else 3
    last: Exception | None = None
    for _ in range(attempts):
        p = port or find_free_port()
        base, cleanup = _postgres_base_dir(tmpdir, run_as, p)
        server = PostgresServer(base, bin_dir, p, fsync=fsync, run_as=run_as, cleanup_dirs=cleanup)
        try:
            server.initdb()
            server.start(timeout)
            server.setup_roles()
            return server
        except Exception as e:  # port stolen between find_free_port() and bind: retry
            server.close()
            last = e
    raise ServerError(f"could not start postgres: {last}") from last


# --------------------------------------------------------------------------
# Redis


class RedisServer(_Server):
    """A redis-server with no persistence (``--save ''``, no AOF)."""

    name = "redis"

    def __init__(self, dir: Path, port: int, executable: str) -> None:
        self.dir = dir
        self.log_path = dir / "redis.log"
        self.host = HOST
        self.port = port
        self.executable = executable
        self._cleanup_dirs = []

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    def __repr__(self) -> str:
        return f"<RedisServer {self.url} pid={self.pid}>"

    def start(self, timeout: float = 30.0) -> None:
        if self.running:
            return
        argv = [
            *_setpriv_prefix(None),
            self.executable,
            "--port", str(self.port),
            "--bind", self.host,
            "--save", "",
            "--appendonly", "no",
            "--dir", str(self.dir),
            "--daemonize", "no",
            "--logfile", "",  # stdout, which goes to redis.log
        ]
        self._spawn(argv)
        self._wait_ready(timeout)

    def _wait_ready(self, timeout: float) -> None:
        import redis

        deadline = time.monotonic() + timeout
        last: Exception | None = None
        client = redis.Redis(host=self.host, port=self.port, socket_connect_timeout=1, socket_timeout=2)
        try:
            while time.monotonic() < deadline:
                if not self.running:
                    raise ServerError(
                        f"redis-server exited with {self._proc.returncode} on port {self.port}:\n"
                        + _tail(self.log_path)
                    )
                try:
                    if client.ping():
                        return
                except redis.RedisError as e:
                    last = e
                    time.sleep(0.05)
        finally:
            client.close()
        self.kill()
        raise ServerError(f"redis not ready after {timeout}s: {last}\n" + _tail(self.log_path))

    def restart(self, timeout: float = 30.0) -> None:
        """Start again on the same port (after ``kill()`` or ``stop()``).
        With no persistence, the data is gone."""
        self.stop()
        self.start(timeout)


def start_redis(tmpdir: str | os.PathLike, *, port: int | None = None, timeout: float = 30.0) -> RedisServer:
    """Start redis-server on a free loopback port with its files in tmpdir."""
    executable = shutil.which("redis-server")
    if executable is None:
        raise ServerError("redis-server not found; run .ci/system-deps (Debian package: redis-server)")
    tmpdir = Path(tmpdir).resolve()
    attempts = 1 if port is not None else 3
    last: Exception | None = None
    for _ in range(attempts):
        p = port or find_free_port()
        d = tmpdir / f"redis-{p}"
        d.mkdir(parents=True, exist_ok=True)
        server = RedisServer(d, p, executable)
        try:
            server.start(timeout)
            return server
        except Exception as e:
            server.close()
            last = e
    raise ServerError(f"could not start redis: {last}") from last
