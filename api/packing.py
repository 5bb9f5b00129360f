"""The snapshot's compact form, and its encoding as ASCII JSON.

`WS /api/v1/live?packed=true` asks for the snapshot's map in this form (the map page uses it).
`map` stays a GeoJSON FeatureCollection whose `features` hold what is not packed (jurisdictions), and it gains a foreign member `packed`: a list of blocks, one per
feature kind, geometry type and property keys, each holding its features by column:
`{"kind", "geometry", "count", "keys", "coordinates", "columns", "dictionaries"}`. Feature i of a
block has the geometry `{"type": geometry, "coordinates": coordinates[i]}` (for a `Point`, the flat
`coordinates[2i], coordinates[2i+1]`), the properties `{"kind": kind, keys[k]: columns[k][i]...}`
in that order, except that for a key that `dictionaries` names, `columns[k][i]` is an index into
that list of values (properties that repeat: kinds, statuses, units, case counts...), and the id
`f"{kind}:{properties['id']}"`. The text is ASCII (api/wire.py). Deltas are not affected.
"""
from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator
from itertools import chain
from typing import Any

import orjson


class _Pauses:
    """How many snapshot builds have the collector paused: the first pauses it, the last to end resumes it."""

    def __init__(self) -> None:
        self.count, self.resume, self.lock = 0, False, threading.Lock()


_PAUSES = _Pauses()


@contextlib.contextmanager
def no_collector() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a snapshot's million short-lived objects are made.

    They hold no cycles (reference counting frees them), but creating them would trigger full
    collections over the whole read model again and again: half of a county map's build time.
    The pause is process-wide and lasts until the last of overlapping builds ends (a counter, so the
    first build to finish does not turn it back on under another); it nests and overlaps safely.
    """
    with _PAUSES.lock:
        if _PAUSES.count == 0:
            _PAUSES.resume = gc.isenabled()
            gc.disable()
        _PAUSES.count += 1
    try:
        yield
    finally:
        with _PAUSES.lock:
            _PAUSES.count -= 1
            if _PAUSES.count == 0 and _PAUSES.resume:
                gc.enable()


def pack(collection: dict[str, Any]) -> dict[str, Any]:
    """The feature collection with its features by column, one block per kind, geometry type and
    property keys (see the module's docstring). A feature whose id is not `kind:properties.id`, that
    has no geometry, or whose point has an altitude stays a feature as it was."""
    loose: list[dict[str, Any]] = []
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for feature in collection["features"]:
        properties, geometry = feature["properties"], feature["geometry"]
        keys = tuple(properties)
        if (geometry is None or not keys or keys[0] != "kind" or feature["id"] != f"{properties['kind']}:{properties.get('id')}"
                or (geometry["type"] == "Point" and len(geometry["coordinates"]) != 2)):
            loose.append(feature)
            continue
        groups.setdefault((geometry["type"], keys), []).append(feature)
    blocks = []
    for (geometry, keys), features in groups.items():
        properties = [feature["properties"] for feature in features]
        coordinates = [feature["geometry"]["coordinates"] for feature in features]
        block = {
            "kind": properties[0]["kind"], "geometry": geometry, "count": len(features), "keys": list(keys[1:]),
            "coordinates": list(chain.from_iterable(coordinates)) if geometry == "Point" else coordinates,
            "columns": [[p[key] for p in properties] for key in keys[1:]],
        }
        block["dictionaries"] = _dictionaries(block)
        blocks.append(block)
    return {"type": "FeatureCollection", "features": loose, "packed": blocks}


def _dictionaries(block: dict[str, Any]) -> dict[str, list[Any]]:
    """Replace the values of each property that repeats (a kind, a status, a unit, a time shared by
    many) with their index in a list of its distinct values; those lists, by property."""
    count = block["count"]
    if count < 64:
        return {}
    dictionaries = {}
    for at, (key, column) in enumerate(zip(block["keys"], block["columns"])):
        types = set(map(type, column))
        if types & {dict, list}:  # objects (case counts): alike when their JSON is
            keyed = [orjson.dumps(value, option=orjson.OPT_SORT_KEYS) for value in column]
        elif len(types & {bool, int, float}) > 1:  # True, 1 and 1.0 are one key to a dict: keep them apart
            keyed = list(zip(map(type, column), column))
        else:
            keyed = column
        distinct = dict(zip(keyed, column))
        if len(distinct) > count // 4:
            continue
        index = {k: n for n, k in enumerate(distinct)}
        block["columns"][at] = list(map(index.__getitem__, keyed))
        dictionaries[key] = list(distinct.values())
    return dictionaries
