"""Field teams on phones (/m/): reports entered offline are kept, survive a reload offline, and are recorded
exactly once and in order when the server is reachable again; a refusal never holds back the others."""
from __future__ import annotations

import time

from playwright.sync_api import Browser

from api.tokens import list_tokens, revoke_token
from domain.application.settings import Settings
from map_support import LiveServer, later
from phone_support import SHOTS, PHONE, field_reports, incident, open_phone



def test_reports_entered_offline_survive_a_reload_and_are_recorded_once_in_order(browser: Browser, server: LiveServer) -> None:
    incident(server)
    phone = open_phone(browser, server)
    page = phone.page
    page.wait_for_selector("#incident-list li:has-text('幼儿园发热聚集')")
    server.stop()  # the network is gone for real
    try:
        for n in (1, 2, 3):
            phone.report_follow_up("幼儿园发热聚集", confirmed=n, note=f"第{n}次")
        phone.wait_count("pending", 3)
        page.wait_for_function("() => document.querySelector('#net').classList.contains('offline')")
        assert "身份证" in offer_note_with_id(phone)
        page.screenshot(path=str(SHOTS / "phone-offline-zh.png"))
        page.reload()  # still offline: the shell comes from the service worker's cache
        page.wait_for_function("() => window.lianfangPhone?.ready")
        phone.wait_count("pending", 3)
        entered = page.evaluate("lianfangPhone.entries().then(all => all.map(e => [e.key, e.body.occurred_at, e.body.new.confirmed]))")
    finally:
        server.start()
    page.wait_for_function("() => document.querySelectorAll('#outbox-list li[data-status=sent]').length >= 1")
    server.stop()  # killed while the outbox drains (after its first delivery), then back
    server.start()
    phone.wait_count("sent", 3)
    reports = field_reports(server)
    assert [(r["meta"]["idempotency_key"], r["data"]["new"]["confirmed"]) for r in reports] == [(k, c) for k, _, c in entered]
    assert [r["meta"]["occurred_at"][:19] for r in reports] == [at[:19] for _, at, _ in entered]
    page.wait_for_selector("#net.online")
    page.wait_for_selector("#incident-list li:has-text('确诊 8')")  # 2 + 1 + 2 + 3, live again
    page.screenshot(path=str(SHOTS / "phone-online-zh.png"))
    phone.context.close()


def offer_note_with_id(phone) -> str:  # noqa: ANN001
    """A note with an ID-card number is stopped on the phone, before it is queued: the form says why."""
    page = phone.page
    page.locator("#incident-list li", has_text="幼儿园发热聚集").get_by_role("button", name="续报").click()
    page.get_by_label("备注").fill("患者 110101199003074258")
    page.get_by_role("button", name="提交").click()
    message = page.locator(".sheet .form-error").inner_text()
    assert phone.count("pending") == 3
    page.get_by_role("button", name="取消").click()
    return message


def test_a_refusal_shows_its_detail_and_does_not_hold_back_the_next(browser: Browser, server: LiveServer) -> None:
    closing = incident(server, "食堂食物中毒")
    incident(server, "幼儿园发热聚集")
    phone = open_phone(browser, server)
    page = phone.page
    page.wait_for_selector("#incident-list li:has-text('食堂食物中毒')")
    server.stop()
    try:
        phone.report_follow_up("食堂食物中毒", confirmed=1)
        phone.report_follow_up("幼儿园发热聚集", confirmed=2)
        phone.wait_count("pending", 2)
    finally:
        server.start()
    server.client().post(f"/incidents/{closing['id']}/close", {"reason": "已处置完毕"})
    phone.wait_count("refused", 1)
    phone.wait_count("sent", 1)
    refused = page.locator("#outbox-list li[data-status=refused]")
    assert "closed" in refused.inner_text() or "关闭" in refused.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    small = page.evaluate("""() => [...document.querySelectorAll('button, input, select, textarea')]
        .filter(e => e.offsetParent !== null && e.getBoundingClientRect().height < 44).map(e => e.outerHTML.slice(0, 80))""")
    assert small == []
    page.screenshot(path=str(SHOTS / "phone-refused-zh.png"))
    page.get_by_role("button", name="EN").click()
    page.wait_for_selector("#outbox-list li[data-status=refused] .badge:text('Refused')")
    page.screenshot(path=str(SHOTS / "phone-refused-en.png"))
    page.get_by_role("button", name="中文").click()
    revoke_phone(server)  # the device's token is revoked: its queue pauses, nothing is discarded
    phone.report_follow_up("幼儿园发热聚集", confirmed=1)
    page.wait_for_selector("#outbox-paused:not([hidden])")
    page.wait_for_selector("#signin:not([hidden])")
    assert phone.count("pending") == 1 and len(field_reports(server)) == 1
    phone.context.close()


def revoke_phone(server: LiveServer) -> None:
    settings = Settings(data_dir=server.data_dir)
    [phone] = [t for t in list_tokens(settings) if t["name"] == "东山采样一组"]
    revoke_token(settings, phone["id"])


def test_a_unit_member_claims_a_task_on_the_phone_and_the_ledger_shows_it(browser: Browser, server: LiveServer) -> None:
    api = server.client()
    unit = api.post("/units", {"name": "东山镇人民政府", "kind": "township", "jurisdiction": "510199003"})["id"]
    task = api.post("/tasks", {"title": "密接人员集中隔离转运", "lead": unit, "due": later(48)})["id"]
    code = api.post("/enrolments", {"role": "unit", "unit": unit, "name": "东山镇值班员"})["code"]
    context = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai", has_touch=True, is_mobile=True)
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        page.goto(f"{server.url}/m/#enrol={code}")
        page.get_by_role("heading", name="我的任务").wait_for()
        page.locator("#tasks li", has_text="密接人员集中隔离转运").wait_for()
        page.screenshot(path=str(SHOTS / "phone-tasks-zh.png"))
        page.locator("#tasks li", has_text="密接人员集中隔离转运").get_by_role("button", name="认领").click()
        page.locator("#tasks form").get_by_role("button", name="提交").click()
        deadline = time.monotonic() + 10
        while next(r for r in api.get("/ledger")["tasks"] if r["id"] == task)["state"] != "claimed":
            assert time.monotonic() < deadline, "the ledger never showed the claim"
            time.sleep(0.1)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()
