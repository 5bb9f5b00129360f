"""A unit's task desk (issue 17), in real Chromium against the real server: a township sees a new task and a
督办单 within a second with a notice, claims, reports, answers and refuses from 我的任务, and the commander's
ledger shows each at once; a unit sees only its desk's acts, an observer none; the page fits 1366 px in
either language, every layer answers a click, and a finished drill's banner gives its result.

One server and one seeded county for the module (each test makes tasks of its own)."""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from api.tokens import create_token
from console_support import ACTS, button, click_map, form, submitted
from domain.application.settings import Settings
from map_support import LiveServer, Seeded, WallPage, free_port, later, seed_county

pytestmark = pytest.mark.browser

DESK_ACTS = ("认领", "拒绝", "报告进度", "办结", "回复督办")
TOWNSHIP = "城关街道办事处"


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Seeded, str]]:
    data_dir = tmp_path_factory.mktemp("desk-store")
    settings = Settings(data_dir=data_dir)
    server = LiveServer(data_dir, free_port())
    server.commander = create_token(settings, role="commander", unit=None, name="县指挥部值班员")
    server.observer = create_token(settings, role="observer", unit=None, name="指挥大厅大屏")
    server.start()
    try:
        seeded = seed_county(server.client())
        township = create_token(settings, role="unit", unit=seeded.units["chengguan"], name="街道值班室")
        yield server, seeded, township
    finally:
        server.stop()


def tab(browser: Browser, width: int = 1920, height: int = 1080) -> WallPage:
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(15_000)
    return WallPage(context.new_page())


@pytest.fixture
def desk_and_wall(browser: Browser, county: tuple[LiveServer, Seeded, str]) -> Iterator[tuple[Page, Page]]:
    server, _, township = county
    desk, wall = tab(browser), tab(browser)
    try:
        yield desk.open(server, township), wall.open(server, server.commander)
        assert not desk.errors and not wall.errors, desk.errors + wall.errors
    finally:
        desk.page.context.close()
        wall.page.context.close()


def my_task(page: Page, title: str) -> Any:
    return page.get_by_role("region", name="我的任务").locator(".desk-task", has_text=title)


def ledger_row(page: Page, task: str) -> Any:
    return page.locator(f"#ledger-list .task[data-id='{task}']")


def act(page: Page, row: Any, name: str, command: str, values: dict[str, Any] | None = None) -> None:
    button(row, name).click()
    opened = form(page, command)
    for label, value in (values or {}).items():
        opened.get_by_label(label, exact=True).fill(str(value))
    button(opened, "提交").click()
    submitted(page, command)


def test_a_township_gets_a_new_task_with_a_notice_claims_and_reports_it_and_the_commanders_ledger_follows(
        county: tuple[LiveServer, Seeded, str], desk_and_wall: tuple[Page, Page]) -> None:
    server, _, _ = county
    desk, wall = desk_and_wall
    expect(desk.locator("h1")).to_contain_text(TOWNSHIP)
    expect(desk.locator("h1")).not_to_contain_text("联防指挥中心")
    expect(desk.locator("#whoami")).to_contain_text("街道值班室")
    expect(button(desk, "退出")).to_be_visible()
    # The unit is named by its name, as the command center says it.
    task = server.client().post("/tasks", {"title": "北街社区重点人员排查", "lead": TOWNSHIP, "due": later(30)})["id"]
    expect(desk.locator(".desk-notice", has_text="北街社区重点人员排查")).to_be_visible(timeout=3_000)
    row = my_task(desk, "北街社区重点人员排查")
    expect(row).to_contain_text("待认领")
    act(desk, row, "认领", "claim_task")
    expect(ledger_row(wall, task).locator(".task-meta")).to_contain_text("已认领")
    act(desk, row, "报告进度", "report_progress", {"进度": 60, "备注": "已排查北街1至3号楼"})
    expect(ledger_row(wall, task).locator(".task-progress")).to_contain_text("60%")
    act(desk, row, "办结", "complete_task")
    expect(ledger_row(wall, task).locator(".task-meta")).to_contain_text("已办结")
    expect(button(row, "办结")).to_have_count(0)


def test_a_supervision_notice_reaches_the_desk_and_its_answer_the_ledger(
        county: tuple[LiveServer, Seeded, str], desk_and_wall: tuple[Page, Page]) -> None:
    server, seeded, _ = county
    desk, wall = desk_and_wall
    api = server.client()
    task = api.post("/tasks", {"title": "隔离点物资清点", "lead": seeded.units["chengguan"], "due": later(30)})["id"]
    row = my_task(desk, "隔离点物资清点")
    expect(row).to_be_visible()
    api.post(f"/tasks/{task}/supervise", {"notice": "请今日18时前报告物资缺口", "answer_by": later(5)})
    expect(desk.locator(".desk-notice.supervised", has_text="请今日18时前报告物资缺口")).to_be_visible(timeout=3_000)
    act(desk, row, "回复督办", "answer_supervision", {"回复": "口罩缺2000只，已向县卫健局申请"})
    expect(ledger_row(wall, task).locator(".notice-answer")).to_contain_text("口罩缺2000只")
    expect(button(row, "回复督办")).to_have_count(0)


def test_a_refusal_needs_a_reason_and_the_ledger_shows_it_red_with_the_reason(
        county: tuple[LiveServer, Seeded, str], desk_and_wall: tuple[Page, Page]) -> None:
    server, seeded, _ = county
    desk, wall = desk_and_wall
    api = server.client()
    task = api.post("/tasks", {"title": "全县冷链食品抽检", "lead": seeded.units["chengguan"], "due": later(30)})["id"]
    row = my_task(desk, "全县冷链食品抽检")
    button(row, "拒绝").click()
    refusal = form(desk, "refuse_task")
    button(refusal, "提交").click()
    assert refusal.get_by_label("原因", exact=True).evaluate("e => !e.validity.valid"), "no reason, no refusal"
    assert [t["state"] for t in api.get("/ledger")["tasks"] if t["id"] == task] == ["assigned"]
    refusal.get_by_label("原因", exact=True).fill("冷链抽检属县市场监管局职责")
    button(refusal, "提交").click()
    submitted(desk, "refuse_task")
    shown = ledger_row(wall, task)
    expect(shown).to_have_attribute("data-colour", "red")
    expect(shown.locator(".task-reason")).to_contain_text("冷链抽检属县市场监管局职责")


def test_a_unit_sees_only_its_desks_acts_and_an_observer_none(browser: Browser, county: tuple[LiveServer, Seeded, str]) -> None:
    server, seeded, township = county
    server.client().post("/tasks", {"title": "返乡人员登记", "lead": seeded.units["chengguan"], "due": later(30)})
    unit, observer = tab(browser), tab(browser)
    try:
        page = unit.open(server, township)
        expect(button(my_task(page, "返乡人员登记"), "认领")).to_be_visible()
        watcher = observer.open(server)
        expect(watcher.locator(".task", has_text="返乡人员登记")).to_have_count(1)
        for name in ACTS:
            expect(button(page, name)).to_have_count(0)
        for name in ACTS + DESK_ACTS:
            expect(button(watcher, name)).to_have_count(0)
        expect(watcher.get_by_role("region", name="我的任务")).to_have_count(0)
    finally:
        unit.page.context.close()
        observer.page.context.close()


# Places of the seeded county where each layer has a feature and no layer above it does.
ON_LAYER = {"incident": (104.06, 30.67), "zone": (104.052, 30.662), "resource": (104.118, 30.69),
            "alert": (104.025, 30.705), "jurisdiction": (104.0618, 30.5991)}


def test_the_page_fits_1366_px_in_either_language_and_every_layer_answers_a_click(
        browser: Browser, county: tuple[LiveServer, Seeded, str]) -> None:
    server, _, township = county
    wall = tab(browser, 1366, 768)
    try:
        for token in (server.commander, township):
            page = wall.open(server, token)
            for language in ("EN", "中文"):
                width = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
                assert width[0] <= width[1], f"overflow {width}"
                expect(button(page, language)).to_be_in_viewport()  # the language button is on the screen
                button(page, language).click()
        page = wall.open(server)
        for kind, place in ON_LAYER.items():
            page.evaluate("([lon, lat]) => lianfang.view(lon, lat, 13)", list(place))
            click_map(page, *place)
            popup = page.locator(".leaflet-popup")
            expect(popup).to_be_visible()
            shown = page.evaluate("() => document.querySelector('.leaflet-popup-content').textContent")
            assert shown.strip(), kind
            assert page.evaluate("() => lianfang.openKind()") == kind
            page.keyboard.press("Escape")
            expect(popup).to_have_count(0)
        assert not wall.errors, wall.errors
    finally:
        wall.page.context.close()


def test_a_finished_drill_says_so_with_its_result(start_server: Any, wall: WallPage, tmp_path: Path) -> None:
    drill = {"run": "r-20260301", "scenario": "示范县聚集性疫情应急演练", "start": "2026-03-01T08:00:00+08:00",
             "end": "2026-03-01T12:00:00+08:00", "status": "completed", "result": {"held": 5, "expectations": 5},
             "file": str(tmp_path / "scenario.yaml")}
    server = start_server(drill=drill)
    page = wall.open(server)
    banner = page.locator("#drill-banner")
    expect(banner).to_contain_text("演练已结束 · 5/5 项评估达标")
    assert "r-20260301" not in banner.inner_text(), "no run id shown"
    assert json.dumps(str(tmp_path)) not in page.content()
