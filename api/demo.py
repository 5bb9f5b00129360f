"""The demo county for `make run`: its units, a few resources, and a one-time commander sign-in link."""
from __future__ import annotations

from typing import TYPE_CHECKING

from api.enrolments import Enrolment, mint_enrolment
from domain.base import Meta
from domain.commands import Command
from domain.writer import execute

if TYPE_CHECKING:
    from api.runtime import Runtime

DEPARTMENTS = ("县卫健局", "县公安局", "县应急管理局", "县民政局", "县市场监管局", "县疾控中心")
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
    return mint_enrolment(rt.app, role="commander", name="演示指挥员", settings=rt.settings, meta=SETUP, signal=rt.signal)
