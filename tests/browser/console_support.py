"""Driving the commander's console as a person would: buttons by their exact names, fields by their labels,
clicks on the map at a place."""
from __future__ import annotations

from typing import Any

from playwright.sync_api import Locator, Page

# Every act's name on the page (the contract's accessible names).
ACTS = ("报告事件", "划定区域", "降级", "解除", "定级", "续报", "结束事件", "派发任务", "督办", "调度资源",
        "出发", "到达", "释放", "取消调度", "发布预警", "更正", "撤销", "落实资源")


def button(scope: Page | Locator, name: str) -> Locator:
    return scope.get_by_role("button", name=name, exact=True)


def form(page: Page, name: str) -> Locator:
    """The open form of an act (data-form is its command's name)."""
    return page.locator(f"form[data-form='{name}']")


def map_point(page: Page, lon: float, lat: float) -> tuple[float, float]:
    """Where a place is on the page, in CSS pixels."""
    box = page.locator("#map").bounding_box()
    assert box is not None
    at = page.evaluate("([lon, lat]) => lianfang.pointOf(lon, lat)", [lon, lat])
    return box["x"] + at["x"], box["y"] + at["y"]


def click_map(page: Page, lon: float, lat: float, button_: str = "left") -> None:
    x, y = map_point(page, lon, lat)
    page.mouse.click(x, y, button=button_)  # type: ignore[arg-type]


def draw_polygon(page: Page, corners: list[tuple[float, float]]) -> None:
    """Click each corner, then the first again, as the hint says."""
    for lon, lat in corners:
        click_map(page, lon, lat)
    click_map(page, *corners[0])


def submitted(page: Page, name: str, timeout: float = 20_000) -> None:
    """The form has gone: its answer was recorded and the live feed has brought it to this page."""
    form(page, name).wait_for(state="detached", timeout=timeout)


def fill(scope: Locator, values: dict[str, Any]) -> None:
    """Fill fields by their labels: text into inputs, an option's label into a select."""
    for label, value in values.items():
        field = scope.get_by_label(label, exact=True)
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(label=str(value))
        else:
            field.fill(str(value))
