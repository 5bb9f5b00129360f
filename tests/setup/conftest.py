"""A county's setup file written under tmp_path, a real SQLite store beside it, and the CLI to apply one to the other."""
from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner, Result

from api.cli import cli
from domain.application import Coordination
from domain.application.eventstore import store_env
from domain.application.settings import DEMO_GEOGRAPHY, Settings

import api.cli_setup  # noqa: F401  (registers `setup`, as main() does)

TOWNSHIPS = {"510199001": "城关街道", "510199002": "文昌街道", "510199003": "东山镇", "510199004": "清河镇",
             "510199005": "石桥镇", "510199006": "白鹤镇", "510199007": "金马镇", "510199008": "桂花镇"}
KINDS = ("ambulance", "sampling_team", "epi_team", "disinfection_team", "drone_team")


@dataclass
class County:
    """A county file of `units` units, `resources` resources (CSV) and `people` people (CSV)."""

    directory: Path
    units: list[dict[str, Any]] = field(default_factory=list)
    resources: list[dict[str, Any]] = field(default_factory=list)
    people: list[dict[str, Any]] = field(default_factory=list)
    kinds: dict[str, Any] = field(default_factory=lambda: {"resource": {"drone_team": {"zh": "无人机消杀队", "en": "drone disinfection team"}}})

    @property
    def path(self) -> Path:
        return self.directory / "county.yaml"

    def write(self) -> Path:
        doc = {"county": {"name": "示范县", "geography": str(DEMO_GEOGRAPHY)}, "kinds": self.kinds, "units": self.units,
               "resources": "resources.csv", "people": "people.csv"}
        self.path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
        write_csv(self.directory / "resources.csv", ("name", "kind", "unit", "lon", "lat", "capacity", "quantity"), self.resources)
        write_csv(self.directory / "people.csv", ("name", "role", "unit"), self.people)
        return self.path


def write_csv(path: Path, columns: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, columns)
        writer.writeheader()
        writer.writerows(rows)


def make_county(directory: Path, units: int = 30, resources: int = 200, people: int = 100) -> County:
    county = County(directory)
    codes = list(TOWNSHIPS)
    for n in range(units):
        if n < len(codes):
            county.units.append({"name": f"{TOWNSHIPS[codes[n]]}人民政府", "kind": "township", "jurisdiction": codes[n]})
        else:
            county.units.append({"name": f"县第{n}局", "kind": "department", "jurisdiction": "510199"})
    for n in range(resources):
        county.resources.append({"name": f"资源{n:03d}", "kind": KINDS[n % len(KINDS)], "unit": county.units[n % units]["name"],
                                 "lon": round(104.0 + (n % 20) * 0.005, 6), "lat": round(30.6 + (n // 20) * 0.005, 6),
                                 "capacity": n % 7 or "", "quantity": ""})
    for n in range(people):
        role = ("field", "unit", "commander", "observer")[n % 4]
        county.people.append({"name": f"人员{n:03d}", "role": role, "unit": county.units[n % units]["name"] if role in ("field", "unit") else ""})
    return county


@pytest.fixture
def county(tmp_path: Path) -> County:
    (tmp_path / "file").mkdir()
    made = make_county(tmp_path / "file")
    made.write()
    return made


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "var"


@pytest.fixture
def setup(data_dir: Path) -> Callable[..., Result]:
    """`setup(path, "--check")`: the CLI, on this test's store."""

    def run(path: Path, *args: str) -> Result:
        return CliRunner().invoke(cli, ["setup", str(path), "--data-dir", str(data_dir), *args])

    return run


@pytest.fixture
def store(data_dir: Path) -> Callable[[], Any]:
    """`with store() as app:` the test's event store, opened afresh."""

    @contextmanager
    def open_() -> Iterator[Coordination]:
        app = Coordination(store_env(Settings(data_dir=data_dir)))
        try:
            yield app
        finally:
            app.close()

    return open_


@pytest.fixture
def events(store: Callable[[], Any]) -> Callable[[], list[Any]]:
    """Every stored domain event, in log order."""

    def read() -> list[Any]:
        with store() as app:
            return [app.mapper.to_domain_event(n) for n in app.recorder.select_notifications(1, 10_000_000)]

    return read
