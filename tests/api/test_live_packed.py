"""The live feed's packed snapshot (`?packed=true`, what the map page asks for): the same map, smaller."""
from __future__ import annotations

import json
import random
from typing import Any

import orjson
from websockets.sync.client import connect

from api.packing import pack
from api.wire import ascii_json
from conftest import LiveServer, World


def unpacked(collection: dict[str, Any]) -> list[dict[str, Any]]:
    """The features of a packed map, as the module's docstring defines them (and live-map/map/feed.js reads them)."""
    features = list(collection["features"])
    for block in collection.get("packed", []):
        kind, geometry, keys = block["kind"], block["geometry"], block["keys"]
        for i in range(block["count"]):
            properties = {"kind": kind}
            for key, column in zip(keys, block["columns"]):
                value = column[i]
                properties[key] = block["dictionaries"][key][value] if key in block["dictionaries"] else value
            coordinates = block["coordinates"][2 * i:2 * i + 2] if geometry == "Point" else block["coordinates"][i]
            features.append({"type": "Feature", "id": f"{kind}:{properties['id']}",
                             "geometry": {"type": geometry, "coordinates": coordinates}, "properties": properties})
    return features


def by_id(features: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {f["id"]: f for f in features}


def first_message(server: LiveServer, token: str, query: str = "") -> tuple[str, dict[str, Any]]:
    with connect(f"{server.ws_url}?access_token={token}{query}", max_size=None, open_timeout=10) as ws:
        text = ws.recv()
    assert isinstance(text, str)
    return text, json.loads(text)


def test_a_packed_snapshot_is_the_same_map_as_the_plain_one(live_server: LiveServer, live_world: World) -> None:
    incident = live_world.incident()
    live_world.zone(incident)
    team = live_world.resource()
    live_world.dispatch(incident, step="en_route", resource=team)
    plain_text, plain = first_message(live_server, live_world.observer.token)
    packed_text, packed = first_message(live_server, live_world.observer.token, "&packed=true")

    assert plain_text.isascii() and packed_text.isascii(), "other characters travel as \\u escapes"
    assert plain_text.startswith('{"type":"snapshot","position":') and packed_text.startswith('{"type":"snapshot","position":')
    assert packed["position"] == plain["position"]
    assert {k: v for k, v in packed.items() if k not in ("map", "at")} == {k: v for k, v in plain.items() if k not in ("map", "at")}
    assert "packed" not in plain["map"], "without ?packed the snapshot is as it always was"
    assert packed["map"]["type"] == "FeatureCollection"
    assert {f["properties"]["kind"] for f in packed["map"]["features"]} == {"jurisdiction"}
    assert by_id(unpacked(packed["map"])) == by_id(plain["map"]["features"])


def test_pack_keeps_every_feature_and_lists_repeated_values_once() -> None:
    rng = random.Random(3)
    features = []
    for n in range(300):
        counts = {"confirmed": n % 2, "suspected": 1} if n % 3 else {"suspected": 1, "confirmed": n % 2}  # keys in either order
        features.append({"type": "Feature", "id": f"incident:i{n}", "geometry": {"type": "Point", "coordinates": [104 + rng.random(), 30 + rng.random()]},
                         "properties": {"kind": "incident", "id": f"i{n}", "title": "幼儿园发热聚集 😷", "level": rng.choice([None, "I", "IV"]),
                                        "counts": counts, "flag": [True, 1, 1.0, False, 0][n % 5], "version": n}})
    for n in range(80):
        ring = [[104, 30], [104 + n / 1e3, 30], [104 + n / 1e3, 30.01], [104, 30]]
        features.append({"type": "Feature", "id": f"zone:z{n}", "geometry": {"type": "Polygon", "coordinates": [ring]},
                         "properties": {"kind": "zone", "id": f"z{n}", "zone_kind": "sealed", "name": None}})
    odd = [
        {"type": "Feature", "id": "jurisdiction:510199", "geometry": None, "properties": {"kind": "jurisdiction", "code": "510199"}},
        {"type": "Feature", "id": "resource:r1", "geometry": {"type": "Point", "coordinates": [104, 30, 500]},
         "properties": {"kind": "resource", "id": "r1"}},  # an altitude: not packed
        {"type": "Feature", "id": "alert:a1", "geometry": {"type": "Point", "coordinates": [104, 30]},
         "properties": {"id": "a1", "kind": "alert"}},  # kind not first: not packed
    ]
    collection = {"type": "FeatureCollection", "features": features + odd}
    expected = orjson.loads(orjson.dumps(collection))  # (the map as JSON sees it)

    packed = json.loads(ascii_json(orjson.dumps(pack(collection))))

    assert by_id(unpacked(packed)) == by_id(expected["features"])
    assert packed["features"] == expected["features"][-3:]
    incidents = next(b for b in packed["packed"] if b["kind"] == "incident")
    assert set(incidents["dictionaries"]) == {"title", "level", "counts", "flag"}, "each repeats; ids and versions do not"
    assert incidents["dictionaries"]["title"] == ["幼儿园发热聚集 😷"]
    assert len(incidents["dictionaries"]["flag"]) == 5, "True, 1, 1.0, False and 0 stay apart"
    assert ascii_json(orjson.dumps(pack(collection))).isascii()


def test_the_collector_stays_paused_until_the_last_of_two_overlapping_snapshot_builds_ends() -> None:
    import gc

    from api.packing import no_collector

    assert gc.isenabled()
    first, second = no_collector(), no_collector()
    first.__enter__()
    second.__enter__()  # a second build starts while the first is still running (another thread)
    first.__exit__(None, None, None)
    assert not gc.isenabled()  # the second build still runs: the first to finish must not turn it back on
    second.__exit__(None, None, None)
    assert gc.isenabled()
