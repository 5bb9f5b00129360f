"""The demo county for `make run`: its units, their resources, and a one-time commander sign-in link."""
from __future__ import annotations

from typing import TYPE_CHECKING

from api.enrolments import Enrolment, mint_enrolment
from domain.base import Meta
from domain.commands import Command
from domain.application.writer import execute

if TYPE_CHECKING:
    from api.runtime import Runtime

DEPARTMENTS = ("县卫健局", "县公安局", "县应急管理局", "县民政局", "县市场监管局", "县疾控中心")
# The county's resources, by owning unit: (kind, name, capacity, quantity). Townships get a sampling team each.
RESOURCES = {
    "县卫健局": (("medical_team", "县人民医院应急医疗队", 12, None), ("ambulance", "县120急救车1号", 2, None),
                ("ambulance", "县120急救车2号", 2, None), ("negative_pressure_ambulance", "县人民医院负压救护车", 1, None),
                ("hospital_beds", "县人民医院定点救治床位", 80, None)),
    "县疾控中心": (("epi_team", "县疾控流调一组", 4, None), ("sampling_team", "县疾控采样一组", 6, None),
                 ("disinfection_team", "县疾控消杀队", 8, None), ("vaccination_team", "县疾控应急接种队", 10, None),
                 ("mobile_lab", "县疾控移动检测实验室", 3000, None)),
    "县应急管理局": (("protective_supplies", "县应急物资库防护物资", None, 20000), ("transport", "县应急转运组", 4, None)),
    "县民政局": (("quarantine_site", "县集中隔离点", 200, None),),
}
SETUP = Meta(actor="demo", role="commander", source="system", actor_name="示范县初始化")


def prepare_demo(rt: Runtime) -> Enrolment:
    """Register the demo units once (the store remembers them) and mint a one-time commander sign-in code."""
    rt.projections.catch_up()
    if not rt.projections.map.state["units"]:
        county = rt.geography.root()
        county_code = county.code if county else None
        for name in DEPARTMENTS:
            execute(rt.app, Command("register_unit", SETUP, {"name": name, "kind": "department", "jurisdiction": county_code}), rt.signal)
        for j in rt.geography:
            if j.level in ("township", "street"):
                execute(rt.app, Command("register_unit", SETUP, {"name": f"{j.name}人民政府" if j.level == "township" else f"{j.name}办事处",
                                                                 "kind": "township", "jurisdiction": j.code}), rt.signal)
    if not rt.projections.map.state["resources"]:
        _register_resources(rt)
    return mint_enrolment(rt.app, role="commander", name="演示指挥员", settings=rt.settings, meta=SETUP, signal=rt.signal)


def _register_resources(rt: Runtime) -> None:
    """Each demo unit's resources, placed inside its jurisdiction (the county's own for departments)."""
    rt.projections.catch_up()
    for unit in list(rt.projections.map.state["units"].values()):
        kinds = RESOURCES.get(unit["name"]) or ((("sampling_team", f"{unit['name'].removesuffix('人民政府').removesuffix('办事处')}采样队", 4, None),)
                                                if unit["kind"] == "township" else ())
        place = rt.geography.by_code.get(unit["jurisdiction"] or "")
        if place is None or not kinds:
            continue
        point = place.shape.representative_point()
        for n, (kind, name, capacity, quantity) in enumerate(kinds):
            position = [round(point.x + 0.004 * (n % 3 - 1), 6), round(point.y + 0.003 * (n // 3), 6)]
            fields = {"kind": kind, "name": name, "unit": unit["id"], "position": position, "capacity": capacity, "quantity": quantity}
            execute(rt.app, Command("register_resource", SETUP, {k: v for k, v in fields.items() if v is not None}), rt.signal)
