"""The commander acts from the map (issue 16), in real Chromium against the real server: every act one POST
with its Idempotency-Key, If-Match on state transitions, the server's refusal beside the form, the form
pending until the live feed has brought the change, and controls only for the roles that may use them."""
from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from console_support import ACTS, button, click_map, draw_polygon, fill, form, submitted
from map_support import LiveServer, WallPage, seed_county

pytestmark = pytest.mark.browser

KINDERGARTEN = (104.06, 30.67)
EMPTY_PLACE = (104.3, 30.62)  # in 东山镇, away from the seeded features


def incidents_titled(api: Any, title: str) -> list[dict[str, Any]]:
    return [i for i in api.get("/incidents", min_position=api.get("/events", after=0, limit=1)["last"])["incidents"]
            if i["title"] == title]


def head(api: Any) -> int:
    last = 0
    while True:
        page = api.get("/events", after=last, limit=5000)
        if page["last"] == last:
            return last
        last = page["last"]


def test_the_commander_reports_an_incident_from_the_map_and_a_second_screen_shows_it(
        server: LiveServer, wall: WallPage, second_wall: WallPage) -> None:
    seed_county(server.client())
    page = wall.open(server, server.commander)
    other = second_wall.open(server)
    click_map(page, *EMPTY_PLACE, button_="right")
    report = form(page, "report_incident")
    fill(report, {"类型": "食物中毒", "标题": "东山镇敬老院腹泻聚集", "确诊": 0, "疑似": 4})
    button(report, "提交").click()
    submitted(page, "report_incident")
    expect(other.locator(".incident-title", has_text="东山镇敬老院腹泻聚集")).to_be_visible()
    shown = other.evaluate("() => [...lianfang.stats.messages]")
    assert "delta" in shown, "the second screen had it from the live feed, without a reload"
    row = other.locator(".incident", has_text="东山镇敬老院腹泻聚集")
    expect(row.locator("[data-count=suspected]")).to_have_text("4")
    assert not wall.errors and not second_wall.errors, wall.errors + second_wall.errors


def test_the_commander_draws_a_sealed_zone_and_a_second_screen_sees_it(
        server: LiveServer, wall: WallPage, second_wall: WallPage) -> None:
    seed_county(server.client())
    page = wall.open(server, server.commander)
    other = second_wall.open(server)
    before = other.evaluate("() => lianfang.sizes().zones")
    button(page, "划定区域").click()
    draw_polygon(page, [(104.17, 30.70), (104.21, 30.70), (104.21, 30.74), (104.17, 30.74)])
    zone = form(page, "declare_zone")
    fill(zone, {"所属事件": "学校食堂食物中毒", "区域类型": "封控区", "名称（可不填）": "学校食堂及宿舍楼"})
    button(zone, "提交").click()
    submitted(page, "declare_zone")
    other.wait_for_function("n => lianfang.sizes().zones === n + 1", arg=before)
    drawn = server.client().map()
    named = [f for f in drawn["features"] if f["properties"].get("name") == "学校食堂及宿舍楼"]
    assert len(named) == 1 and named[0]["properties"]["zone_kind"] == "sealed"
    ring = named[0]["geometry"]["coordinates"][0]
    assert {(round(lon, 2), round(lat, 2)) for lon, lat in ring} == {(104.17, 30.70), (104.21, 30.70), (104.21, 30.74), (104.17, 30.74)}
    assert not wall.errors, wall.errors


def test_the_commander_assigns_a_task_to_a_township_by_name_and_supervises_one_from_its_ledger_row(
        server: LiveServer, wall: WallPage) -> None:
    api = server.client()
    seed_county(api)
    page = wall.open(server, server.commander)
    button(page, "派发任务").click()
    task = form(page, "assign_task")
    fill(task, {"标题": "城关街道重点人群排查", "牵头单位": "城关街道办事处", "任务说明": "逐户排查近7日到过幼儿园的人员"})
    task.get_by_label("县公安局", exact=True).check()
    button(task, "提交").click()
    submitted(page, "assign_task")
    row = page.locator(".task", has_text="城关街道重点人群排查")
    expect(row).to_contain_text("牵头 城关街道办事处")
    expect(row).to_contain_text("配合 县公安局")
    expect(row).to_contain_text("逐户排查近7日到过幼儿园的人员")

    # 督办 from a ledger row: one notice, with its deadline (a double click still records one).
    row = page.locator(".task", has_text="南街社区全员核酸筛查")
    button(row, "督办").click()
    notice = form(page, "supervise_task")
    fill(notice, {"督办内容": "请于明日12时前报告筛查进度", "回复期限": "2030-01-02T12:00"})
    button(notice, "提交").dblclick()
    submitted(page, "supervise_task")
    expect(row.locator(".notices li")).to_have_count(1)
    ledger = api.get("/ledger", min_position=head(api))["tasks"]
    notices = next(t for t in ledger if t["title"] == "南街社区全员核酸筛查")["supervision"]
    assert [(n["notice"], n["answer_by"]) for n in notices] == [("请于明日12时前报告筛查进度", "2030-01-02T12:00:00+08:00")]


def test_a_refusal_shows_the_servers_detail_and_a_double_click_or_a_resend_after_a_lost_answer_records_one(
        server: LiveServer, wall: WallPage) -> None:
    api = server.client()
    seed_county(api)
    page = wall.open(server, server.commander)
    recorded = head(api)
    click_map(page, *EMPTY_PLACE, button_="right")
    report = form(page, "report_incident")
    fill(report, {"标题": "请联系13812345678", "确诊": 1})
    button(report, "提交").click()
    expect(report.get_by_role("alert")).to_contain_text("mobile number")  # the server's words, beside the form
    assert head(api) == recorded, "a refusal records nothing"
    fill(report, {"标题": "双击也只记一次"})
    button(report, "提交").dblclick()
    submitted(page, "report_incident")
    assert len(incidents_titled(api, "双击也只记一次")) == 1

    # The server records it, but its answer never reaches the page: the person sends the same form again.
    lost: list[str] = []

    def lose_answer(route: Any) -> None:
        route.fetch()  # the server has it now
        lost.append(route.request.headers["idempotency-key"])
        route.abort()

    page.route("**/api/v1/incidents", lose_answer)
    click_map(page, *EMPTY_PLACE, button_="right")
    report = form(page, "report_incident")
    fill(report, {"标题": "回应丢失后重发", "确诊": 2})
    button(report, "提交").click()
    expect(report.locator(".form-error")).to_contain_text("不会重复记录")
    page.unroute("**/api/v1/incidents")
    sent_again: list[str] = []
    page.on("request", lambda r: sent_again.append(r.headers.get("idempotency-key", "")) if r.method == "POST" else None)
    button(report, "提交").click()
    submitted(page, "report_incident")
    assert sent_again == lost, "the resend carries the key the form was opened with"
    assert len(incidents_titled(api, "回应丢失后重发")) == 1


def test_a_stale_version_shows_the_conflict_and_the_fresh_state_and_records_nothing(server: LiveServer, wall: WallPage) -> None:
    api = server.client()
    seeded = seed_county(api)
    page = wall.open(server, server.commander)
    row = page.locator(".incident", has_text="幼儿园发热聚集")
    button(row, "定级").click()
    level = form(page, "set_level")
    fill(level, {"级别": "I级 特别重大", "原因": "出现二代病例"})
    # Meanwhile another commander lowers it.
    api.post(f"/incidents/{seeded.incidents['kindergarten']}/level", {"level": "III", "reason": "疫情趋稳"})
    recorded = head(api)
    button(level, "提交").click()
    expect(level.locator(".form-error")).to_contain_text("someone changed it")
    expect(level.locator(".form-conflict")).to_contain_text("III级")
    assert head(api) == recorded, "a stale version records nothing"
    assert api.get(f"/incidents/{seeded.incidents['kindergarten']}")["incident"]["level"] == "III"


def test_an_actual_alert_needs_the_explicit_choice_and_a_second_confirmation_and_an_exercise_exports_as_one(
        server: LiveServer, wall: WallPage) -> None:
    api = server.client()
    seed_county(api)
    page = wall.open(server, server.commander)
    alerts_before = len(api.get("/alerts")["alerts"])
    corners = [(104.12, 30.60), (104.16, 30.60), (104.16, 30.64), (104.12, 30.64)]

    def draw_alert(headline: str) -> Any:
        button(page, "发布预警").click()
        draw_polygon(page, corners)
        alert = form(page, "issue_alert")
        fill(alert, {"预警标题": headline, "严重程度": "严重", "紧急程度": "立即", "确定程度": "已发生", "预警内容": "请居民减少外出"})
        return alert

    alert = draw_alert("清河镇饮用水污染健康提示")
    button(alert, "提交").click()  # no choice made: the form does not go
    assert alert.is_visible() and len(api.get("/alerts")["alerts"]) == alerts_before
    alert.get_by_label("正式发布", exact=True).check()
    expect(alert.locator(".cap-preview")).to_contain_text("<status>Actual</status>")
    button(alert, "提交").click()
    button(alert, "返回修改").click()  # the second step: not yet
    assert len(api.get("/alerts")["alerts"]) == alerts_before
    button(alert, "提交").click()
    button(alert, "确认正式发布").click()
    submitted(page, "issue_alert")
    issued = [a for a in api.get("/alerts")["alerts"] if a["headline"] == "清河镇饮用水污染健康提示"]
    assert [a["status"] for a in issued] == ["Actual"]

    drill = draw_alert("演练：清河镇饮用水污染")
    drill.get_by_label("演练", exact=True).check()
    expect(drill.locator(".cap-preview")).to_contain_text("<status>Exercise</status>")
    button(drill, "提交").click()
    submitted(page, "issue_alert")
    exercise = next(a for a in api.get("/alerts")["alerts"] if a["headline"] == "演练：清河镇饮用水污染")
    cap = api.http.get(exercise["cap"])
    assert "<status>Exercise</status>" in cap.text


def test_an_observer_sees_no_action_controls(server: LiveServer, wall: WallPage) -> None:
    seed_county(server.client())
    page = wall.open(server)
    expect(page.locator(".incident")).to_have_count(2)
    click_map(page, *KINDERGARTEN)  # the incident's popup
    expect(page.locator(".leaflet-popup")).to_be_visible()
    click_map(page, *EMPTY_PLACE, button_="right")
    for name in ACTS:
        expect(button(page, name)).to_have_count(0)
    expect(page.locator("form.action-form")).to_have_count(0)


def test_the_english_page_names_the_acts_in_english(server: LiveServer, wall: WallPage) -> None:
    seed_county(server.client())
    page = wall.open(server, server.commander)
    page.get_by_role("button", name="EN", exact=True).click()
    toolbar = page.get_by_role("toolbar", name="Command actions")
    for name in ("Report incident", "Declare zone", "Assign task", "Dispatch", "Issue alert"):
        expect(button(toolbar, name)).to_be_visible()
    row = page.locator(".incident", has_text="幼儿园发热聚集")
    for name in ("Set level", "Follow-up report", "Close incident"):
        expect(button(row, name)).to_be_visible()
    button(row, "Set level").click()
    level = form(page, "set_level")
    expect(level.get_by_label("Reason", exact=True)).to_be_visible()
    expect(button(level, "Submit")).to_be_visible()
    expect(button(level, "Cancel")).to_be_visible()


def dispatch_state(page: Any, dispatch_id: str) -> str | None:
    return page.evaluate("id => lianfang.feature('dispatches', `dispatch:${id}`)?.properties.state ?? null", dispatch_id)


def test_a_dispatch_is_requested_committed_nearest_first_and_followed_through_its_steps(server: LiveServer, wall: WallPage) -> None:
    api = server.client()
    seeded = seed_county(api)
    far = api.post("/resources", {"kind": "epi_team", "name": "县疾控中心流调二队", "unit": seeded.units["health"],
                                  "position": [104.3, 30.75]})["id"]
    page = wall.open(server, server.commander)
    wall.wait_position(api.last_position)
    click_map(page, *KINDERGARTEN)
    button(page.locator(".leaflet-popup"), "调度资源").click()
    request = form(page, "request_dispatch")
    fill(request, {"资源类型": "流调队", "数量": 1})
    button(request, "在地图上重新选择").click()
    destination = (104.09, 30.64)
    click_map(page, *destination)
    button(request, "提交").click()
    submitted(page, "request_dispatch")
    requested = [f for f in api.map()["features"] if f["properties"].get("kind") == "dispatch"
                 and f["properties"]["state"] == "requested"]
    assert len(requested) == 1 and requested[0]["geometry"]["coordinates"] == pytest.approx(list(destination), abs=1e-3)
    dispatch = requested[0]["properties"]["id"]

    click_map(page, *destination)
    button(page.locator(".leaflet-popup"), "落实资源").click()
    commit = form(page, "commit_dispatch")
    choices = commit.get_by_role("radio")
    expect(choices).to_have_count(2)
    expect(choices.first).to_be_checked()  # the nearest available one
    expect(commit.locator(".choice").first).to_contain_text("县疾控中心流调队")
    button(commit, "提交").click()
    submitted(page, "commit_dispatch")
    assert dispatch_state(page, dispatch) == "committed"
    assert page.evaluate("id => lianfang.feature('resources', `resource:${id}`).properties.status", far) == "available"

    for step, after in (("出发", "en_route"), ("到达", "on_scene")):
        click_map(page, *destination)
        button(page.locator(".leaflet-popup"), step).click()
        name = {"出发": "depart", "到达": "arrive"}[step]
        button(form(page, name), "提交").click()
        submitted(page, name)
        assert dispatch_state(page, dispatch) == after
    click_map(page, *destination)
    button(page.locator(".leaflet-popup"), "释放").click()
    button(form(page, "release"), "提交").click()
    submitted(page, "release")
    assert dispatch_state(page, dispatch) is None, "a released dispatch leaves the map"


def test_an_alert_is_corrected_and_withdrawn_from_its_popup(server: LiveServer, wall: WallPage) -> None:
    api = server.client()
    seed_county(api)
    page = wall.open(server, server.commander)
    inside = (104.03, 30.70)  # inside the seeded alert's area, outside every zone
    click_map(page, *inside)
    button(page.locator(".leaflet-popup"), "更正").click()
    correct = form(page, "update_alert")
    fill(correct, {"预警标题": "城关街道聚集性疫情风险提示（更正）"})
    button(correct, "提交").click()
    submitted(page, "update_alert")
    [alert] = api.get("/alerts")["alerts"]
    assert alert["headline"] == "城关街道聚集性疫情风险提示（更正）"
    assert "<msgType>Update</msgType>" in api.http.get(alert["cap"]).text
    click_map(page, *inside)
    button(page.locator(".leaflet-popup"), "撤销").click()
    button(form(page, "cancel_alert"), "提交").click()
    submitted(page, "cancel_alert")
    assert page.evaluate("() => lianfang.sizes().alerts") == 0
    assert "<msgType>Cancel</msgType>" in api.http.get(alert["cap"]).text


def test_a_zone_is_downgraded_and_lifted_from_its_popup_and_an_incident_reported_on_and_closed_from_its_row(
        server: LiveServer, wall: WallPage) -> None:
    api = server.client()
    seeded = seed_county(api)
    page = wall.open(server, server.commander)
    page.evaluate("([lon, lat]) => lianfang.view(lon, lat, 14)", list(KINDERGARTEN))
    inside_sealed = (104.053, 30.663)
    zone_kind = "id => lianfang.feature('zones', `zone:${id}`)?.properties.zone_kind ?? null"
    click_map(page, *inside_sealed)
    popup = page.locator(".leaflet-popup")
    expect(popup).to_contain_text("封控区")
    button(popup, "降级").click()
    expect(form(page, "downgrade_zone")).to_contain_text("封控区 → 管控区")
    button(form(page, "downgrade_zone"), "提交").click()
    submitted(page, "downgrade_zone")
    assert page.evaluate(zone_kind, seeded.zones["sealed"]) == "controlled"
    click_map(page, *inside_sealed)
    button(page.locator(".leaflet-popup"), "解除").click()
    lift = form(page, "lift_zone")
    fill(lift, {"原因（可不填）": "连续7天无新增"})
    button(lift, "提交").click()
    submitted(page, "lift_zone")
    assert page.evaluate(zone_kind, seeded.zones["sealed"]) is None

    row = page.locator(".incident", has_text="学校食堂食物中毒")
    button(row, "续报").click()
    more = form(page, "file_report")
    fill(more, {"疑似": 2, "备注": "又有两名学生就诊"})
    button(more, "提交").click()
    submitted(page, "file_report")
    expect(row.locator("[data-count=suspected]")).to_have_text("7")
    button(row, "结束事件").click()
    close = form(page, "close_incident")
    fill(close, {"原因": "病例均已康复，无新增"})
    button(close, "提交").click()
    submitted(page, "close_incident")
    expect(page.locator(".incident[data-status=closed]", has_text="学校食堂食物中毒")).to_have_count(1)
    expect(button(page.locator(".incident", has_text="学校食堂食物中毒"), "定级")).to_have_count(0)
