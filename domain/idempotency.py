"""Idempotency records: the first answer to a key, saved with the command's own events."""
from __future__ import annotations

import functools
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.base import Meta, Thing

KEY_NAMESPACE = uuid5(NAMESPACE_URL, "https://lianfang.example/idempotency")


@functools.lru_cache(maxsize=4096)  # asked three times per command (the batch's lookup, the replay, the record)
def record_id(actor: str, key: str) -> UUID:
    return uuid5(KEY_NAMESPACE, f"{actor}\n{key}")


class IdempotencyRecord(Thing):
    class KeyRecorded(Thing.Created):
        key: str
        request_hash: str
        command: str
        thing: str
        version: int

    def __init__(self, key: str, request_hash: str, command: str, thing: str, version: int) -> None:
        self.key = key
        self.request_hash = request_hash
        self.command = command
        self.thing = thing
        self.thing_version = version

    @classmethod
    def record(cls, meta: Meta, *, key: str, request_hash: str, command: str, thing: str, version: int) -> IdempotencyRecord:
        return cls.begin(
            cls.KeyRecorded, record_id(meta.key_scope, key), meta, key=key,
            request_hash=request_hash, command=command, thing=thing, version=version,
        )
