"""Load clients, each run in a process of its own (spawned), on loopback, bounded in count and time.

`post_load`: keep-alive HTTP/1.1 connections posting as fast as the server answers (closed loop).
`paced_posts`: one command every 1/rate seconds (open loop), recording each ack's position and time.
`viewers`: websocket viewers (a minimal client) recording (position, time) of every delta; a share may stall.
Times are `time.monotonic()`, which is one clock for every process on Linux.
"""
from __future__ import annotations

import asyncio
import multiprocessing
import re
import threading
import time
import uuid
from array import array
from typing import Any

import orjson

POSITION = re.compile(r'"type":"(\w+)","position":(\d+)')


def request(port: int, path: str, token: str, body: bytes, key: str | None = None) -> bytes:
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n")
    if key:
        head += f"Idempotency-Key: {key}\r\n"
    return head.encode() + b"\r\n" + body


async def exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, data: bytes) -> tuple[int, bytes]:
    writer.write(data)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    return status, await reader.readexactly(length) if length else b""


def report_body(n: int) -> bytes:
    return orjson.dumps({"new": {"suspected": 1 + n % 3, "close_contacts": n % 7}, "note": f"第{n}次走访：新增发热",
                         "position": [104.05 + (n % 50) * 0.001, 30.68 + (n % 30) * 0.001]})


# -- closed loop ---------------------------------------------------------------------------------

def post_load(port: int, token: str, paths: list[str], connections: int, start_at: float, seconds: float,
              limit: int, keys: bool) -> dict[str, Any]:
    return asyncio.run(_post_load(port, token, paths, connections, start_at, seconds, limit, keys))


async def _post_load(port, token, paths, connections, start_at, seconds, limit, keys) -> dict[str, Any]:  # noqa: ANN001
    latencies = array("d")
    statuses: dict[int, int] = {}
    stop_at = start_at + seconds
    prefix = uuid.uuid4().hex[:8]
    sent, ended = 0, start_at

    async def one(c: int) -> None:
        nonlocal sent, ended
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        await asyncio.sleep(max(0.0, start_at - time.monotonic()))
        n = c
        while time.monotonic() < stop_at and sent < limit:
            sent += 1
            data = request(port, paths[n % len(paths)], token, report_body(n), f"{prefix}-{c}-{n}" if keys else None)
            began = time.monotonic()
            status, _ = await exchange(reader, writer, data)
            if (done := time.monotonic()) <= stop_at:
                latencies.append(done - began)
                ended = max(ended, done)
                statuses[status] = statuses.get(status, 0) + 1
            n += connections
        writer.close()

    await asyncio.gather(*(one(c) for c in range(connections)))
    return {"latencies": latencies.tobytes(), "statuses": statuses, "ended": ended}


def run_processes(target: Any, jobs: list[tuple]) -> list[Any]:
    """Run `target(*job)` for each job, each in a spawned process, and collect the answers."""
    with multiprocessing.get_context("spawn").Pool(len(jobs)) as pool:
        return pool.starmap(target, jobs)


def hammer(port: int, token: str, paths: list[str], processes: int, connections: int, seconds: float,
           limit: int = 200_000, keys: bool = True) -> dict[str, Any]:
    """Closed-loop load from `processes` client processes; acknowledged (2xx) per second and latencies."""
    start_at = time.monotonic() + 2.0  # after the processes have spawned and connected
    jobs = [(port, token, paths, connections, start_at, seconds, limit // processes, keys) for _ in range(processes)]
    answers = run_processes(post_load, jobs)
    latencies = array("d")
    statuses: dict[int, int] = {}
    for answer in answers:
        latencies.frombytes(answer["latencies"])
        for status, n in answer["statuses"].items():
            statuses[status] = statuses.get(status, 0) + n
    ok = sum(n for status, n in statuses.items() if 200 <= status < 300)
    elapsed = max(a["ended"] for a in answers) - start_at
    return {"acknowledged": ok, "seconds": round(elapsed, 2), "per_second": round(ok / max(elapsed, 1e-9), 1),
            "statuses": statuses, "latencies": latencies}


# -- open loop -----------------------------------------------------------------------------------

def paced_posts(port: int, token: str, paths: list[str], rate: float, start_at: float, count: int,
                connections: int = 32) -> dict[str, Any]:
    return asyncio.run(_paced(port, token, paths, rate, start_at, count, connections))


async def _paced(port, token, paths, rate, start_at, count, connections) -> dict[str, Any]:  # noqa: ANN001
    idle: asyncio.Queue = asyncio.Queue()
    cpu = time.process_time()
    for _ in range(connections):
        idle.put_nowait(await asyncio.open_connection("127.0.0.1", port))
    acks, sent = array("d"), array("d")  # per acknowledged command: when its 2xx arrived, when it was sent
    positions = array("q")
    late = 0

    async def send(n: int) -> None:
        conn = await idle.get()
        data = request(port, paths[n % len(paths)], token, report_body(n))
        began = time.monotonic()
        status, body = await exchange(*conn, data)
        idle.put_nowait(conn)
        if status < 300:
            positions.append(orjson.loads(body)["position"])
            acks.append(time.monotonic())
            sent.append(began)

    tasks = []
    for n in range(count):
        due = start_at + n / rate
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        late += time.monotonic() - due > 0.05
        tasks.append(asyncio.create_task(send(n)))
    # bounded in time too: what is not acknowledged within a minute after the last send is left out
    await asyncio.wait(tasks, timeout=60)
    return {"positions": positions.tobytes(), "acks": acks.tobytes(), "sent": sent.tobytes(), "late_sends": late,
            "cpu_s": time.process_time() - cpu, "wall_s": time.monotonic() - start_at}


# -- the Redis Stream, watched from the bench ----------------------------------------------------

class StreamProbe:
    """Scale-out: notes when each delta reached the Redis Stream (the worker's XADD), in a thread of the bench, so
    a command's time to a viewer can be split into the part before Redis and the part after (the API process)."""

    def __init__(self, url: str, stream: str = "lianfang:deltas") -> None:
        import redis

        self.redis, self.stream = redis.Redis.from_url(url), stream
        self.positions, self.times = array("q"), array("d")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)

    def start(self) -> StreamProbe:
        self._thread.start()
        return self

    def _read(self) -> None:
        newest = self.redis.xrevrange(self.stream, count=1)  # from an id, not "$": nothing falls between two reads
        last = newest[0][0] if newest else "0-0"
        while not self._stop.is_set():
            for _, entries in self.redis.xread({self.stream: last}, block=200, count=1000) or []:
                now = time.monotonic()
                for entry, fields in entries:
                    last = entry
                    self.positions.append(int(fields[b"p"]))
                    self.times.append(now)

    def finish(self) -> dict[str, Any]:
        """What was seen, in the form of one viewer's answer."""
        self._stop.set()
        self._thread.join(timeout=5)
        return {"frames": [(self.positions.tobytes(), self.times.tobytes())]}


# -- websocket viewers ----------------------------------------------------------------------------

class Viewers:
    """Viewer processes; `connected` counts open feeds, `finish()` closes them and returns their frames.

    `cpu()` is each viewer process's CPU seconds so far (read from /proc, like the server's): a process that
    used most of a core during the measured window was saturated, and its arrival times say more about it
    than about the server."""

    def __init__(self, url: str, counts: list[int], stalled: list[int], tokens: list[str]) -> None:
        """`url` without a token: viewer number n (over all processes) uses tokens[n % len(tokens)]."""
        ctx = multiprocessing.get_context("spawn")
        self.stop = ctx.Value("b", 0)
        self.counters = [ctx.Value("i", 0) for _ in counts]
        self.results = ctx.Queue()
        firsts = [sum(counts[:i]) for i in range(len(counts))]
        self.processes = [ctx.Process(target=viewers, args=(url, n, s, c, self.stop, self.results, tokens, first))
                          for n, s, c, first in zip(counts, stalled, self.counters, firsts)]
        for process in self.processes:
            process.start()

    @property
    def connected(self) -> int:
        return sum(c.value for c in self.counters)

    def cpu(self) -> list[float]:
        from bench.common import cpu_seconds

        return [cpu_seconds(p.pid) for p in self.processes]

    def wait_connected(self, expected: int, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while self.connected < expected and time.monotonic() < deadline:
            time.sleep(0.2)
        return self.connected

    def finish(self) -> list[dict[str, Any]]:
        self.stop.value = 1
        answers = [self.results.get(timeout=120) for _ in self.processes]
        for process in self.processes:
            process.join(timeout=30)
        return answers


def viewers(url: str, count: int, stalled: int, connected: Any, stop: Any, results: Any, tokens: list[str],
            first: int) -> None:
    results.put(asyncio.run(_viewers(url, count, stalled, connected, stop, tokens, first)))


class Feed(asyncio.Protocol):
    """One viewer: a minimal websocket client (RFC 6455) that notes (position, time) of every delta frame.

    A wall screen is one browser on a machine of its own; here a few processes hold thousands of feeds, so the
    client does the least a client can: it splits frames, reads the type and position from the first bytes of
    each message, answers pings, and notices the close. (With the `websockets` client's per-message work,
    four such processes used both cores of this machine at 1,000 viewers and the figures measured them.)"""

    def __init__(self, request: bytes, positions: array, times: array, tally: dict[str, int], stop: Any) -> None:
        self.request, self.positions, self.times, self.tally, self.stop = request, positions, times, tally, stop
        self.buffer = bytearray()
        self.open: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.first: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self.ended: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None
        self.parts: list[bytes] = []  # a fragmented message's frames so far

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        transport.write(self.request)  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.open.done():
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buffer[:end])
            del self.buffer[:end + 4]
            if not head.startswith(b"HTTP/1.1 101"):
                self.open.set_exception(ConnectionError(head.split(b"\r\n", 1)[0].decode(errors="replace")))
                self.transport.close()
                return
            self.open.set_result(None)
        self._frames(time.monotonic())

    def _frames(self, now: float) -> None:
        buffer = self.buffer
        at = 0
        while len(buffer) - at >= 2:
            opcode, size = buffer[at] & 0x0F, buffer[at + 1] & 0x7F
            head = 2
            if size == 126:
                if len(buffer) - at < 4:
                    break
                size, head = int.from_bytes(buffer[at + 2:at + 4], "big"), 4
            elif size == 127:
                if len(buffer) - at < 10:
                    break
                size, head = int.from_bytes(buffer[at + 2:at + 10], "big"), 10
            if len(buffer) - at < head + size:
                break
            fin = buffer[at] & 0x80
            payload = bytes(buffer[at + head:at + head + size])
            at += head + size
            if opcode == 0x8:  # close
                if not self.stop.value:
                    self.tally["closed_by_server"] += 1
                self.transport.close()
                break
            if opcode == 0x9:  # ping: a masked pong (the server closes a feed that never answers)
                self.transport.write(bytes([0x8A, 0x80 | len(payload)]) + b"\0\0\0\0" + payload)
                continue
            if opcode in (0x1, 0x0):
                self.parts.append(payload)
                if fin:
                    self._message(b"".join(self.parts) if len(self.parts) > 1 else payload, now)
                    self.parts = []
        del buffer[:at]

    def _message(self, message: bytes, now: float) -> None:
        if not self.first.done():
            self.first.set_result(len(message))
            return
        found = POSITION.search(message[:80].decode(errors="replace"))
        if found and found[1] == "delta":
            self.positions.append(int(found[2]))
            self.times.append(now)

    def connection_lost(self, exc: Exception | None) -> None:
        for future in (self.open, self.first):
            if not future.done():
                future.set_exception(ConnectionError("closed before the snapshot"))
        if not self.ended.done():
            self.ended.set_result(None)


def upgrade(url: str, token: str) -> tuple[str, int, bytes]:
    """The host, port and the handshake request for `url`, with the token as the websocket subprotocol after
    `lianfang.bearer`, as the pages send it (never in the query, where logs and proxies would keep it)."""
    import base64
    import os
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    key = base64.b64encode(os.urandom(16)).decode()
    path = f"{parts.path}?{parts.query}" if parts.query else parts.path
    request = (f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
               f"Sec-WebSocket-Protocol: lianfang.bearer, {token}\r\n\r\n")
    return parts.hostname or "127.0.0.1", parts.port or 80, request.encode()


async def _viewers(url, count, stalled, connected, stop, tokens, first) -> dict[str, Any]:  # noqa: ANN001
    loop = asyncio.get_running_loop()
    frames: list[tuple[array, array]] = [(array("q"), array("d")) for _ in range(count)]
    gate, feeds = asyncio.Semaphore(50), []
    tally = {"closed_by_server": 0, "snapshot_bytes": 0, "failed": 0}

    async def one(i: int) -> None:
        positions, times = frames[i]
        try:
            async with gate:
                if stop.value:  # the run ended before this one's turn to connect (a server too slow to connect all)
                    return
                host, port, request = upgrade(url, tokens[(first + i) % len(tokens)])
                _, feed = await loop.create_connection(lambda: Feed(request, positions, times, tally, stop), host, port)
                feeds.append(feed)
                await asyncio.wait_for(feed.open, 300)
                tally["snapshot_bytes"] = max(tally["snapshot_bytes"], await asyncio.wait_for(feed.first, 300))
                connected.value += 1
            if i < stalled:
                feed.transport.pause_reading()  # stop reading: kernel buffers fill, then the server's backlog
                return
            await feed.ended
        except Exception:  # noqa: BLE001
            tally["failed"] += 1

    async def watch() -> None:
        while not stop.value:
            await asyncio.sleep(0.2)
        for feed in feeds:
            if feed.transport is not None:
                feed.transport.abort()

    watcher = asyncio.create_task(watch())
    await asyncio.gather(*(one(i) for i in range(count)))
    await watcher
    return {**tally, "frames": [(p.tobytes(), t.tobytes()) for p, t in frames[stalled:]]}
