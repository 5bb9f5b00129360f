"""Requests that carry one token while it is being read from the store wait for that one read.

While the database is away each read waits its second for a connection, and reads of one token queue behind each
other in the store's repository: three senders sharing a token got their 503s after one, two and three seconds.
"""
from __future__ import annotations

import asyncio
import threading

import pytest

from api.auth import TokenCache, check_token
from api.problems import Problem


class SlowStore:
    """Stands in for the Coordination application's token lookup only (the store itself is not mocked anywhere
    else): every read blocks until released, then finds nothing."""

    def __init__(self) -> None:
        self.reads = 0
        self.release = threading.Event()

    def find_token(self, digest: str) -> None:
        self.reads += 1
        self.release.wait(30)
        return None


def test_requests_with_one_token_share_one_store_read() -> None:
    store, cache = SlowStore(), TokenCache()

    async def three_at_once() -> list[BaseException | object]:
        checks = [asyncio.ensure_future(check_token(store, "lf_same-token", cache)) for _ in range(3)]
        while store.reads == 0:  # the first read is under way
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)  # the other two have arrived meanwhile
        store.release.set()
        return await asyncio.gather(*checks, return_exceptions=True)

    answers = asyncio.run(three_at_once())
    assert store.reads == 1
    assert all(isinstance(a, Problem) and a.status == 401 for a in answers), answers


def test_a_token_read_again_after_the_shared_read_ends() -> None:
    store, cache = SlowStore(), TokenCache()
    store.release.set()
    for _ in range(2):
        with pytest.raises(Problem):
            asyncio.run(check_token(store, "lf_same-token", cache))
    assert store.reads == 2  # an unknown token is not remembered: each later request reads again
