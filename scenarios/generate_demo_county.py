"""Generate the demo county's jurisdictions (示范县, code 510199) as `demo-county.geojson`.

The county is drawn on a lattice of small cells (0.0125° square, about 1.2 km × 1.4 km). Every lattice
vertex is nudged by a fixed amount derived from a hash of its indices, so borders look hand-drawn, yet a
vertex shared by two jurisdictions is the same point in both: children tile their parent exactly and the
output is the same on every run and every machine (no random module, no clock).

    python -m scenarios.generate_demo_county [--out PATH]
"""
from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path
from typing import Any

from shapely import normalize
from shapely.geometry import Polygon, mapping
from shapely.geometry.polygon import orient
from shapely.ops import unary_union

COUNTY_CODE = "510199"
COUNTY_NAME = "示范县"
WEST, SOUTH = 104.0, 30.55
CELL = 0.0125  # degrees; each character of TOWNSHIP_MAP covers 2 × 2 cells
JITTER = 0.2  # largest nudge of a vertex, as a share of a cell: small enough that every cell stays a simple quad

# One character per 2 × 2 cells, north at the top; digits are township numbers, "." is outside the county.
TOWNSHIP_MAP = """\
..7777888...
6777778888..
66777288888.
661122288333
611112223333
611112223333
65114444333.
55554444433.
.555444444..
..555444....
"""

# (number in TOWNSHIP_MAP, name, level, its villages or communities in order); a 街道 has communities,
# a 镇 has villages plus the community of its seat.
TOWNSHIPS = [
    (1, "城关街道", "street", ["南街社区", "北街社区", "西门社区", "东街社区", "玉带社区"]),
    (2, "文昌街道", "street", ["文昌社区", "书院社区", "锦华社区", "学府社区"]),
    (3, "东山镇", "township", ["东山社区", "松林村", "石门村", "桃源村"]),
    (4, "清河镇", "township", ["清河社区", "柳湾村", "河坝村", "新桥村", "白果村"]),
    (5, "石桥镇", "township", ["石桥社区", "石堰村", "高岩村"]),
    (6, "白鹤镇", "township", ["白鹤社区", "鹤鸣村", "青杠村", "龙井村"]),
    (7, "金马镇", "township", ["金马社区", "马鞍村", "金星村", "双河村"]),
    (8, "桂花镇", "township", ["桂花社区", "丹桂村", "花园村"]),
]
GRID_NAMES = ["第一网格", "第二网格"]

Cell = tuple[int, int]  # (column from the west, row from the south)


def nudge(i: int, j: int) -> tuple[float, float]:
    """A fixed offset for lattice vertex (i, j), in cells, each axis within ±JITTER."""
    digest = hashlib.sha256(f"{COUNTY_CODE}:{i}:{j}".encode()).digest()
    dx = int.from_bytes(digest[:4], "big") / 0xFFFFFFFF
    dy = int.from_bytes(digest[4:8], "big") / 0xFFFFFFFF
    return (dx * 2 - 1) * JITTER, (dy * 2 - 1) * JITTER


def vertex(i: int, j: int) -> tuple[float, float]:
    # Rounded here, once, so shared borders are bit-identical and the output needs no further rounding.
    dx, dy = nudge(i, j)
    return round(WEST + (i + dx) * CELL, 6), round(SOUTH + (j + dy) * CELL, 6)


def cell_polygon(cell: Cell) -> Polygon:
    i, j = cell
    return Polygon([vertex(i, j), vertex(i + 1, j), vertex(i + 1, j + 1), vertex(i, j + 1)])


def township_cells() -> dict[int, list[Cell]]:
    rows = TOWNSHIP_MAP.splitlines()
    cells: dict[int, list[Cell]] = {}
    for top_index, row in enumerate(rows):
        coarse_row = len(rows) - 1 - top_index
        for coarse_col, char in enumerate(row):
            if char == ".":
                continue
            for di in (0, 1):
                for dj in (0, 1):
                    cells.setdefault(int(char), []).append((coarse_col * 2 + di, coarse_row * 2 + dj))
    return cells


def split(cells: list[Cell], parts: int) -> list[list[Cell]]:
    """Cut a connected set of cells into `parts` connected pieces of near-equal size.

    Pieces are peeled off one by one from the west (or the south, when the set is taller than wide): each
    starts at the first cell in that sweep order and grows outward from it, but never by a cell whose loss
    would cut what is left in two, so every piece, and the rest, stays one polygon. Nothing depends on
    chance or set order, hence the codes are stable.
    """
    width = max(c[0] for c in cells) - min(c[0] for c in cells)
    height = max(c[1] for c in cells) - min(c[1] for c in cells)
    sweep = (lambda c: (c[0], c[1])) if width >= height else (lambda c: (c[1], c[0]))
    rest = set(cells)
    pieces = []
    for left in range(parts, 1, -1):
        piece = peel(rest, round(len(rest) / left), sweep)
        pieces.append(sorted(piece))
        rest -= piece
    return pieces + [sorted(rest)]


def peel(region: set[Cell], size: int, sweep: Any) -> set[Cell]:
    """A connected piece of about `size` cells whose removal leaves the region connected."""
    seed = next(c for c in sorted(region, key=sweep) if connected(region - {c}))
    piece = {seed}
    while len(piece) < size:
        # Nearest to the seed first, so pieces come out compact rather than as long strips.
        candidates = {n for c in piece for n in neighbours(c) if n in region and n not in piece}
        ordered = sorted(candidates, key=lambda c: ((c[0] - seed[0]) ** 2 + (c[1] - seed[1]) ** 2, sweep(c)))
        keeping = [c for c in ordered if connected(region - piece - {c})]
        if not keeping:
            break  # a narrow neck: a piece a little smaller beats a piece in two parts
        piece.add(keeping[0])
    return piece


def neighbours(cell: Cell) -> list[Cell]:
    i, j = cell
    return [(i + 1, j), (i - 1, j), (i, j + 1), (i, j - 1)]


def connected(cells: set[Cell]) -> bool:
    if not cells:
        return True
    seen, todo = set(), [next(iter(cells))]
    while todo:
        cell = todo.pop()
        if cell not in seen:
            seen.add(cell)
            todo.extend(n for n in neighbours(cell) if n in cells)
    return seen == cells


def shape_of(cells: list[Cell]) -> Polygon:
    shape = unary_union([cell_polygon(c) for c in cells])
    if shape.geom_type != "Polygon" or not shape.is_valid:
        raise ValueError(f"cells {cells[:3]}… do not make one valid polygon ({shape.geom_type})")
    # normalize() fixes where each ring starts, whatever the GEOS version; then RFC 7946 §3.1.6 winding
    # (exterior rings counterclockwise).
    return orient(normalize(shape), 1.0)


def feature(code: str, name: str, level: str, parent: str | None, shape: Polygon) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": code,
        "properties": {"code": code, "name": name, "level": level, "parent": parent},
        "geometry": mapping(shape),
    }


def build_county() -> dict[str, Any]:
    """The FeatureCollection: the county, then each township followed by its villages and their grids."""
    by_township = township_cells()
    features = [feature(COUNTY_CODE, COUNTY_NAME, "county", None, shape_of(sum(by_township.values(), [])))]
    for number, name, level, villages in TOWNSHIPS:
        township_code = f"{COUNTY_CODE}{number:03d}"
        features.append(feature(township_code, name, level, COUNTY_CODE, shape_of(by_township[number])))
        for v, (village_name, village_cells) in enumerate(zip(villages, split(by_township[number], len(villages))), 1):
            village_code = f"{township_code}{v:03d}"
            village_level = "community" if village_name.endswith("社区") else "village"
            features.append(feature(village_code, village_name, village_level, township_code, shape_of(village_cells)))
            for g, (grid_name, grid_cells) in enumerate(zip(GRID_NAMES, split(village_cells, 2)), 1):
                features.append(
                    feature(f"{village_code}{g:02d}", village_name + grid_name, "grid", village_code, shape_of(grid_cells))
                )
    return {"type": "FeatureCollection", "features": features}


def as_text(collection: dict[str, Any]) -> str:
    """One feature a line: diffs stay readable and the bytes are stable."""
    lines = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in collection["features"]]
    return '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Generate the demo county's jurisdictions as GeoJSON.")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("demo-county.geojson"))
    args = parser.parse_args(argv)
    args.out.write_text(as_text(build_county()), encoding="utf-8")


if __name__ == "__main__":
    main()
