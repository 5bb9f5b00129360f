"""Delta checkpoints: what changed in a read model's state since the history checkpoint before.

A read model's state is a dict of collections (`{"zones": {id: zone, ...}, ...}`). From its first touch after a
history checkpoint, each thing's value then is kept, as JSON bytes (`Touched`). The delta is then, per collection:
- the fields that changed of the things that were there before, each thing named by its place in the
  collection (things are only ever added at the end of a collection, so places in the base stand), grouped
  by field, as gaps between places and the new values: at a million events a delta is mostly a zone's new
  `last_case_at` for thousands of zones, and a place and a time compress far better than an id and a time;
- the things added since, whole, in the order they were first touched (as a replay adds them);
- the things gone (a drawn jurisdiction erased); a collection a thing may leave names its changed things by id;
and the values of the state that are not collections, whole.
"""
from __future__ import annotations

from typing import Any

import orjson

DELTA_MAGIC = b"LFd1"
ABSENT = b""  # the thing was not there when first touched


class Touched:
    """The things touched since the last history checkpoint, with their values before the first touch."""

    def __init__(self) -> None:
        self.before: dict[tuple[str | None, str], bytes] = {}
        self.by_id: set[str] = set()  # collections a thing may leave (and come back to, at the end): no places

    def __len__(self) -> int:
        return len(self.before)

    def thing(self, state: dict[str, Any], key: str) -> None:
        """The fact's own thing, in whichever collection holds it (in none yet: it is being added)."""
        if (None, key) in self.before:  # added since: whole in the delta, however it changes after
            return
        found = False
        for name, things in state.items():
            if isinstance(things, dict) and key in things:
                found = True
                if (name, key) not in self.before:
                    self.before[(name, key)] = orjson.dumps(things[key])
        if not found:
            self.before.setdefault((None, key), ABSENT)

    def one(self, state: dict[str, Any], collection: str, key: str, removes: bool = False) -> None:
        """A thing in a named collection, before it changes (`removes`: it may leave the collection)."""
        if removes:
            self.by_id.add(collection)
        if (collection, key) not in self.before and (None, key) not in self.before:
            things = state.get(collection, {})
            self.before[(collection, key)] = orjson.dumps(things[key]) if key in things else ABSENT


def delta_of(state: dict[str, Any], touched: Touched) -> dict[str, Any]:
    """The delta from the state when the touches began to `state` now (see the module's docstring)."""
    added: dict[str, dict[str, Any]] = {}
    gone: dict[str, list[str]] = {}
    edits: dict[str, list[tuple[str, dict[str, Any]]]] = {}  # collection → [(key, changed fields)]
    for (collection, key), before in touched.before.items():
        if collection is None:  # added since (the fact's own thing, not there when first touched)
            for name, things in state.items():
                if isinstance(things, dict) and key in things:
                    added.setdefault(name, {})[key] = things[key]
            continue
        things = state.get(collection, {})
        if key not in things:
            if before != ABSENT:
                gone.setdefault(collection, []).append(key)
            continue
        now = things[key]
        if before == ABSENT:
            added.setdefault(collection, {})[key] = now
            continue
        old = orjson.loads(before)
        if old == now:
            continue
        if isinstance(old, dict) and isinstance(now, dict) and old.keys() <= now.keys():
            edits.setdefault(collection, []).append((key, {k: v for k, v in now.items() if k not in old or old[k] != v}))
        else:
            added.setdefault(collection, {})[key] = now  # replaced whole, in place
    fields: dict[str, dict[str, list[list[Any]]]] = {}
    for collection, changes in edits.items():
        if collection in gone or collection in touched.by_id:  # places may have moved: by id
            for key, _ in changes:
                added.setdefault(collection, {})[key] = state[collection][key]
            continue
        place = {k: i for i, k in enumerate(state[collection])}
        by_field: dict[str, list[tuple[int, Any]]] = {}
        for key, changed in changes:
            for field, value in changed.items():
                by_field.setdefault(field, []).append((place[key], value))
        encoded = fields[collection] = {}
        for field, pairs in by_field.items():
            pairs.sort(key=lambda p: p[0])
            gaps, previous = [], 0
            for at, _ in pairs:
                gaps.append(at - previous)
                previous = at
            encoded[field] = [gaps, [v for _, v in pairs]]
    whole = {k: v for k, v in state.items() if not isinstance(v, dict)}
    return {"fields": fields, "changed": added, "gone": gone, "whole": whole}


def with_delta(saved: dict[str, Any], delta: dict[str, Any]) -> dict[str, Any]:
    """A decoded checkpoint moved on by a decoded delta: fields by place first (places in the base), then the
    things added or replaced by id, then those gone, then the values that are not collections."""
    state = saved["state"]
    for collection, by_field in delta.get("fields", {}).items():
        things = state[collection]
        keys = list(things)
        for field, (gaps, values) in by_field.items():
            at = 0
            for gap, value in zip(gaps, values):
                at += gap
                things[keys[at]][field] = value
    for key, things in delta["changed"].items():
        state.setdefault(key, {}).update(things)
    for key, gone in delta["gone"].items():
        for thing in gone:
            state.get(key, {}).pop(thing, None)
    state.update(delta["whole"])
    return {"position": delta["position"], "at": delta["at"], "state": state}
