"""The live map at a county's scale, from a real store through the real feed (issue 5 item 7).

Thousands of teams on the map are shown as counts far out and as themselves close in; a team that
moves moves alone; thousands of control zones are still there to point at. (How fast is measured
by the benchmark P6, not here.)
"""
from __future__ import annotations

import random
from typing import Any

import pytest

from domain.application import Coordination
from domain.base import Meta
from domain.commands import Command
from domain.application.eventstore import store_env
from domain.application.settings import Settings
from domain.application.writer import run_batch
from map_support import LiveServer, WallPage

pytestmark = pytest.mark.browser

CMD = Meta(actor="cmd", role="commander", actor_name="县指挥部")
TEAMS = 3000          # more than the page draws one by one (2,000)
ZONES = 2100          # more than it draws as a Leaflet layer each (2,000)
GROUP = (104.25, 30.74)  # five teams within 25 m of each other, far from every other team
GROUP_OFFSETS = [(0, 0), (0.0001, 0), (0.0002, 0), (0, 0.0001), (0.0001, 0.0001)]
NAMED_ZONE = (104.2, 30.6)  # a zone with a name, away from the others, to point at


def seed(server: LiveServer) -> dict[str, Any]:
    """Write the county's map straight into the store (the server is stopped meanwhile)."""
    app = Coordination(store_env(Settings(data_dir=server.data_dir), server.data_dir))
    rng = random.Random(7)
    try:
        unit = str(run_batch(app, [Command("register_unit", CMD, {"name": "县卫生健康局", "kind": "department",
                                                                  "jurisdiction": "510199"})])[0].id)
        incident = str(run_batch(app, [Command("report_incident", CMD, {
            "kind": "cluster", "title": "幼儿园发热聚集", "location": [104.06, 30.67], "counts": {"confirmed": 3}})])[0].id)
        team = {"kind": "sampling_team", "name": "采样队", "unit": unit}
        spread = [Command("register_resource", CMD, {**team, "position": [round(rng.uniform(104.01, 104.17), 6),
                                                                          round(rng.uniform(30.56, 30.70), 6)]})
                  for _ in range(TEAMS)]
        group = [Command("register_resource", CMD, {**team, "name": f"流调{n}组",
                                                    "position": [round(GROUP[0] + dx, 6), round(GROUP[1] + dy, 6)]})
                 for n, (dx, dy) in enumerate(GROUP_OFFSETS, 1)]
        zones = [Command("declare_zone", CMD, {"incident": incident, "kind": ("sealed", "controlled", "prevention")[n % 3],
                                               "area": square(104.02 + (n % 70) * 0.002, 30.72 + (n // 70) * 0.002, 0.001)})
                 for n in range(ZONES)]
        named = Command("declare_zone", CMD, {"incident": incident, "kind": "sealed", "name": "测试封控小区",
                                              "area": square(NAMED_ZONE[0] - 0.001, NAMED_ZONE[1] - 0.001, 0.002)})
        commands = spread + group + zones + [named]
        outcomes = []
        for first in range(0, len(commands), 500):
            outcomes += run_batch(app, commands[first:first + 500])
    finally:
        app.close()
    refused = [o for o in outcomes if isinstance(o, Exception)]
    assert not refused, refused[:3]
    return {"group": [str(o.id) for o in outcomes[TEAMS:TEAMS + len(GROUP_OFFSETS)]]}


def square(lon: float, lat: float, size: float) -> dict[str, Any]:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [[[round(x, 6), round(y, 6)] for x, y in ring]]}


def shown_counts(wall: WallPage) -> list[int]:
    """The numbers written on the resource layer's cluster markers."""
    return [int(text) for text in wall.page.locator(".leaflet-resources-pane .cluster-icon").all_inner_texts()]


def test_a_county_of_teams_is_counted_far_out_shown_one_by_one_close_in_and_moves_one_by_one(
    start_server: Any, wall: WallPage,
) -> None:
    server = start_server()
    server.stop()
    seeded = seed(server)
    server.start()
    page = wall.open(server)
    teams = TEAMS + len(GROUP_OFFSETS)
    assert page.evaluate("lianfang.sizes()")["resources"] == teams
    assert page.evaluate("lianfang.sizes()")["zones"] == ZONES + 1
    assert page.locator('[data-count-layer="resources"]').inner_text() == str(teams)
    assert page.locator('[data-count-layer="zones"]').inner_text() == str(ZONES + 1)

    # 1. The county: every team is counted, in a few hundred markers at most, not drawn one by one.
    counts = shown_counts(wall)
    singles = page.evaluate("lianfang.drawn().resources") - len(counts)
    assert sum(counts) + singles == teams, "every team in view is in one marker's count, or drawn alone"
    assert len(counts) + singles < teams / 10
    # The group far from the others is one marker that says 5, where the group is.
    group = [c for c in page.evaluate("lianfang.clusters('resources')") if abs(c["lon"] - GROUP[0]) < 0.01 and abs(c["lat"] - GROUP[1]) < 0.01]
    assert [c["count"] for c in group] == [len(GROUP_OFFSETS)], group
    wall.shot("09a-county-teams-counted")

    # 2. Close in: each of the five is drawn alone, where it is; no marker counts them.
    page.evaluate("([lon, lat]) => lianfang.view(lon, lat, 18)", [GROUP[0] + 0.0001, GROUP[1] + 0.00005])
    assert shown_counts(wall) == []
    for team, (dx, dy) in zip(seeded["group"], GROUP_OFFSETS):
        at = page.evaluate("id => lianfang.drawnAt('resources', id)", f"resource:{team}")
        assert at == {"lng": round(GROUP[0] + dx, 6), "lat": round(GROUP[1] + dy, 6)}, team
    wall.shot("09b-close-in-one-by-one")

    # 3. One team moves: its marker moves, in place; the others are not drawn again.
    stamps = {team: page.evaluate("id => lianfang.drawnStamp('resources', id)", f"resource:{team}") for team in seeded["group"]}
    mover = seeded["group"][0]
    moved = [round(GROUP[0] - 0.0001, 6), round(GROUP[1] + 0.0002, 6)]
    server.client().post(f"/resources/{mover}/position", {"position": moved})
    page.wait_for_function("([id, lon]) => lianfang.drawnAt('resources', id)?.lng === lon", arg=[f"resource:{mover}", moved[0]])
    assert page.evaluate("id => lianfang.drawnAt('resources', id)", f"resource:{mover}") == {"lng": moved[0], "lat": moved[1]}
    assert {team: page.evaluate("id => lianfang.drawnStamp('resources', id)", f"resource:{team}") for team in seeded["group"]} == stamps
    assert page.locator('[data-count-layer="resources"]').inner_text() == str(teams)
    wall.shot("09c-one-team-moved")

    # 4. Thousands of zones are painted together, yet each can still be pointed at and opened.
    page.evaluate("([lon, lat]) => lianfang.view(lon, lat, 16)", list(NAMED_ZONE))
    point = page.evaluate("([lon, lat]) => lianfang.pointOf(lon, lat)", list(NAMED_ZONE))
    box = page.locator("#map").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + point["x"], box["y"] + point["y"])
    page.wait_for_selector(".map-tip:has-text('封控区')")
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "测试封控小区" in popup.inner_text()
    wall.shot("09d-zone-opened")

    # And back out: the county again, the moved team counted with the rest.
    page.evaluate("([lon, lat]) => lianfang.view(lon, lat, 11)", [104.15, 30.67])
    counts = shown_counts(wall)
    assert sum(counts) + page.evaluate("lianfang.drawn().resources") - len(counts) == teams
    assert wall.errors == []
