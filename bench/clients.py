"""Load clients, each run in a process of its own (spawned), on loopback, bounded in count and time.

`post_load`: keep-alive HTTP/1.1 connections posting as fast as the server answers (closed loop).
`paced_posts`: one command every 1/rate seconds (open loop), recording each ack's position and time.
`viewers`: websocket viewers recording (position, time) of every frame; a share of them may stall.
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
    return {"positions": positions.tobytes(), "acks": acks.tobytes(), "sent": sent.tobytes(), "late_sends": late}


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
    """Viewer processes; `connected` counts open feeds, `finish()` closes them and returns their frames."""

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


async def _viewers(url, count, stalled, connected, stop, tokens, first) -> dict[str, Any]:  # noqa: ANN001
    import websockets

    frames: list[tuple[array, array]] = [(array("q"), array("d")) for _ in range(count)]
    gate, sockets = asyncio.Semaphore(50), []
    tally = {"closed_by_server": 0, "snapshot_bytes": 0, "failed": 0}

    async def one(i: int) -> None:
        positions, times = frames[i]
        try:
            async with gate:
                token = tokens[(first + i) % len(tokens)]
                ws = await websockets.connect(f"{url}?access_token={token}", max_size=None, open_timeout=300, ping_interval=None, close_timeout=1)
                sockets.append(ws)
                tally["snapshot_bytes"] = max(tally["snapshot_bytes"], len(await ws.recv()))
                connected.value += 1
            if i < stalled:
                ws.transport.pause_reading()  # stop reading: kernel buffers fill, then the server's queue
                return
            while True:
                message = await ws.recv()
                now = time.monotonic()
                found = POSITION.search(message[:80])
                if found and found[1] == "delta":
                    positions.append(int(found[2]))
                    times.append(now)
        except websockets.ConnectionClosed:
            if not stop.value:
                tally["closed_by_server"] += 1
        except Exception:  # noqa: BLE001
            tally["failed"] += 1

    async def watch() -> None:
        while not stop.value:
            await asyncio.sleep(0.2)
        for ws in sockets:
            ws.transport.abort()

    watcher = asyncio.create_task(watch())
    await asyncio.gather(*(one(i) for i in range(count)))
    await watcher
    return {**tally, "frames": [(p.tobytes(), t.tobytes()) for p, t in frames[stalled:]]}
