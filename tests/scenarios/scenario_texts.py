"""A small scenario to break line by line, and where the real scenario files are."""
from __future__ import annotations

from pathlib import Path

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
GEOGRAPHY = SCENARIOS / "demo-county.geojson"
SCENARIO_FILES = sorted(SCENARIOS.glob("*.yaml"))

SMALL = f"""\
scenario: 小型演练
start: "2026-03-01T08:00:00+08:00"
geography: {GEOGRAPHY}
actors:
  cmd:    {{role: commander, name: 县指挥部}}
  health: {{role: unit, name: 县卫健局, kind: department, jurisdiction: "510199"}}
  team-a: {{role: field, unit: health, name: 采样一组}}
injects:
  - at: "+00:05"
    by: team-a
    do: report_incident
    ref: inc1
    with: {{kind: cluster, title: 幼儿园发热聚集, location: [104.058, 30.685], counts: {{confirmed: 3}}}}
  - at: "+00:30"
    by: cmd
    do: declare_zone
    ref: z1
    with:
      incident: $inc1
      kind: sealed
      area: {{type: Polygon, coordinates: [[[104.05, 30.68], [104.07, 30.68], [104.07, 30.69], [104.05, 30.69], [104.05, 30.68]]]}}
  - at: "+00:40"
    by: cmd
    do: assign_task
    ref: t1
    with: {{title: 封控区人员管控, lead: health, due: "+30:00", zone: $z1}}
  - at: "+01:10"
    by: health
    do: claim_task
    with: {{task: $t1}}
expect:
  - at: "+01:00"
    holds: {{open_incidents: 1, zones: {{sealed: 1}}, tasks: {{green: 1}}, cases: {{confirmed: 3}}}}
  - at: "+08:00"
    holds: {{tasks: {{yellow: 1}}, dispatches: {{}}}}
"""


def write(tmp_path: Path, text: str, name: str = "drill.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path
