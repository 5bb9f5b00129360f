"""A generated county setup file for S1: departments and townships of the demo county, resources and people in CSV."""
from __future__ import annotations

import csv
from pathlib import Path

import yaml

from domain.application.settings import DEMO_GEOGRAPHY

TOWNSHIPS = ("510199001", "510199002", "510199003", "510199004", "510199005", "510199006", "510199007", "510199008")
KINDS = ("ambulance", "sampling_team", "epi_team", "disinfection_team", "drone_team")
ROLES = ("field", "unit", "commander", "observer")


def write(directory: Path, units: int = 30, resources: int = 200, people: int = 100) -> Path:
    """county.yaml with resources.csv and people.csv beside it; resource n sits at a point of its own."""
    unit_names = [f"乡镇{n}" if n < len(TOWNSHIPS) else f"县第{n}局" for n in range(units)]
    doc = {
        "county": {"name": "示范县", "geography": str(DEMO_GEOGRAPHY)},
        "kinds": {"resource": {"drone_team": {"zh": "无人机消杀队", "en": "drone disinfection team"}}},
        "units": [{"name": name, "kind": "township" if n < len(TOWNSHIPS) else "department",
                   "jurisdiction": TOWNSHIPS[n] if n < len(TOWNSHIPS) else "510199"} for n, name in enumerate(unit_names)],
        "resources": "resources.csv", "people": "people.csv",
    }
    path = directory / "county.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    rows = [[f"资源{n:03d}", KINDS[n % len(KINDS)], unit_names[n % units], round(104.0 + (n % 20) * 0.005, 6),
             round(30.6 + (n // 20) * 0.005, 6), n % 7 or "", ""] for n in range(resources)]
    _csv(directory / "resources.csv", ["name", "kind", "unit", "lon", "lat", "capacity", "quantity"], rows)
    _csv(directory / "people.csv", ["name", "role", "unit"],
         [[f"人员{n:03d}", ROLES[n % 4], unit_names[n % units] if ROLES[n % 4] in ("field", "unit") else ""] for n in range(people)])
    return path


def move_one(directory: Path, row: int = 17) -> None:
    """Resource `row` moves a little: the file's only change."""
    path = directory / "resources.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    rows[row + 1][3] = str(round(float(rows[row + 1][3]) + 0.001, 6))
    _csv(path, rows[0], rows[1:])


def _csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
