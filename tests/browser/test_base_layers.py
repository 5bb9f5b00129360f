"""Without a tile server the map still has a readable base: the county's jurisdictions with their names, and the
base layers (roads, rivers) that the setting `base_layers` names as GeoJSON files, drawn under everything."""
from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from domain.application.settings import DEMO_GEOGRAPHY
from map_support import LiveServer, WallPage

pytestmark = pytest.mark.browser


def county_bounds() -> tuple[float, float, float, float]:
    county = next(f for f in json.loads(DEMO_GEOGRAPHY.read_text())["features"] if f["properties"]["level"] == "county")
    points = [p for ring in county["geometry"]["coordinates"] for p in ring] if county["geometry"]["type"] == "Polygon" \
        else [p for polygon in county["geometry"]["coordinates"] for ring in polygon for p in ring]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def pixel(wall: WallPage, lon: float, lat: float) -> tuple[int, int, int]:
    point = wall.page.evaluate("([lon, lat]) => lianfang.pointOf(lon, lat)", [lon, lat])
    box = wall.page.locator("#map").bounding_box()
    shot = wall.page.screenshot(clip={"x": box["x"] + point["x"] - 1, "y": box["y"] + point["y"] - 1, "width": 3, "height": 3})
    return Image.open(io.BytesIO(shot)).convert("RGB").getpixel((1, 1))


def test_the_map_without_tiles_shows_names_and_the_countys_base_layers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, start_server: Callable[..., LiveServer], wall: WallPage) -> None:
    minx, miny, maxx, maxy = county_bounds()
    middle = (minx + maxx) / 2
    river = {"type": "FeatureCollection", "name": "rivers", "features": [{"type": "Feature", "properties": {"name": "清水河", "kind": "river"},
             "geometry": {"type": "LineString", "coordinates": [[middle, miny - 0.01], [middle, maxy + 0.01]]}}]}
    (tmp_path / "rivers.geojson").write_text(json.dumps(river, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setenv("LIANFANG_BASE_LAYERS", json.dumps([str(tmp_path / "rivers.geojson")]))
    server = start_server()
    page = wall.open(server)
    page.wait_for_function("() => lianfang.baseLayers().length === 1")
    assert page.evaluate("lianfang.baseLayers()") == [{"name": "rivers", "features": 1}]
    assert page.locator(".leaflet-tile").count() == 0  # no tile server: none asked for
    # The townships' and streets' names are on the map
    labels = page.locator(".label-jurisdiction").all_inner_texts()
    assert {"城关街道", "东山镇", "清河镇"} <= set(labels), labels
    # The river is drawn (under the jurisdictions' fill): bluer on its line than beside it
    lat = (miny + maxy) / 2 + 0.003
    page.evaluate("([lon, lat]) => lianfang.view(lon, lat, 14)", [middle, lat])
    on, beside = pixel(wall, middle, lat), pixel(wall, middle + 0.004, lat)
    assert on[2] - beside[2] > 40 and on[2] > on[0] + 40, (on, beside)
    assert wall.errors == []
