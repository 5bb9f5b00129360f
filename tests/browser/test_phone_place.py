"""Field teams on phones (/m/): where a report is (a tap on a small map of the team's jurisdiction when the GPS
is refused, and a clear word before queuing when the point is outside it), and the incidents of the jurisdiction
live from the feed, or as last known, with the time, offline."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from playwright.sync_api import Browser, Page, Request

from map_support import LiveServer
from phone_support import SHOTS, events_of, incident, open_phone, tap_map, wait_map

IN_DONGSHAN = (104.2493, 30.6626)
IN_GUIHUA = (104.205, 30.72)  # the next township, inside 东山镇's frame on the small map
COUNTY_TIME = timezone(timedelta(hours=8))


def shot(page: Page, name: str) -> None:
    """The form's position part at the top of the screen: the small map, what was tapped, what is wrong."""
    page.evaluate("document.querySelector('.where').scrollIntoView({ block: 'start' })")
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def test_without_gps_a_tap_on_the_small_map_sets_where_the_incident_is(browser: Browser, server: LiveServer) -> None:
    phone = open_phone(browser, server, gps=False)
    page = phone.page
    page.wait_for_selector("#gps:has-text('无法获取')")
    page.get_by_role("button", name="报告事件").click()
    wait_map(page)  # offered at once: there is no position yet
    tap_map(page, *IN_DONGSHAN)
    page.wait_for_selector(".where-text:has-text('地图选点')")
    page.get_by_label("标题").fill("村卫生室发热病人")
    shot(page, "phone-map-zh")
    page.get_by_role("button", name="提交").click()
    phone.wait_count("sent", 1)
    [queued] = page.evaluate("lianfangPhone.entries().then(all => all.map(e => e.body.location))")
    [recorded] = [e["data"]["location"] for e in events_of(server, "IncidentReported")]
    assert recorded == queued
    assert abs(recorded[0] - IN_DONGSHAN[0]) < 0.002 and abs(recorded[1] - IN_DONGSHAN[1]) < 0.002
    phone.context.close()


def test_a_tap_outside_the_jurisdiction_is_said_at_once_and_nothing_is_queued(browser: Browser, server: LiveServer) -> None:
    for lang, outside in (("zh", "此位置不在本队辖区（东山镇）内"), ("en", "outside our jurisdiction (东山镇)")):
        phone = open_phone(browser, server, lang=lang, gps=False)
        page = phone.page
        page.locator("#report").click()
        wait_map(page)
        tap_map(page, *IN_GUIHUA)
        page.wait_for_selector(f".where-error:has-text('{outside}')")
        page.locator(".sheet input[name=title]").fill("outside" if lang == "en" else "辖区外的报告")
        page.locator(".sheet button[type=submit]").click()
        page.wait_for_selector(f".where-error:has-text('{outside}')")
        assert page.evaluate("lianfangPhone.entries().then(all => all.length)") == 0
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        small = page.evaluate("""() => [...document.querySelectorAll('button, input, select, textarea, .leaflet-bar a')]
            .filter(e => e.offsetParent !== null && e.getBoundingClientRect().height < 44).map(e => e.outerHTML.slice(0, 80))""")
        assert small == []
        shot(page, f"phone-outside-{lang}")
        phone.context.close()
    assert events_of(server, "IncidentReported") == []


def test_a_gps_position_outside_the_jurisdiction_is_said_before_queuing(browser: Browser, server: LiveServer) -> None:
    phone = open_phone(browser, server, at={"longitude": IN_GUIHUA[0], "latitude": IN_GUIHUA[1]})
    page = phone.page
    page.wait_for_selector("#gps:has-text('104.205')")
    page.get_by_role("button", name="报告事件").click()
    page.get_by_label("标题").fill("桂花镇的报告")
    page.get_by_role("button", name="提交").click()
    page.wait_for_selector(".where-error:has-text('此位置不在本队辖区（东山镇）内：请在地图上选点')")
    wait_map(page)  # offered, to set the point by hand
    assert page.evaluate("lianfangPhone.entries().then(all => all.length)") == 0
    phone.context.close()


def test_a_follow_up_by_someone_else_changes_the_counts_live_without_polling(browser: Browser, server: LiveServer) -> None:
    made = incident(server)
    phone = open_phone(browser, server)
    page = phone.page
    asked: list[str] = []

    def note(request: Request) -> None:
        if request.method == "GET" and "/api/v1/incidents" in request.url:
            asked.append(request.url)

    page.on("request", note)
    page.wait_for_selector("#incident-list li:has-text('确诊 2')")
    server.client().post(f"/incidents/{made['id']}/reports", {"new": {"confirmed": 3, "close_contacts": 7}})
    page.wait_for_selector("#incident-list li:has-text('确诊 5')")
    page.wait_for_selector("#incident-list li:has-text('密接 7')")
    assert asked == []  # from the feed, not from asking the incident board again and again
    page.get_by_role("button", name="EN").click()
    page.wait_for_selector("#net.online:has-text('Online')")
    page.screenshot(path=str(SHOTS / "phone-online-en.png"))
    phone.context.close()


def test_offline_after_a_reload_the_last_known_counts_show_with_their_time(browser: Browser, server: LiveServer) -> None:
    started = datetime.now(timezone.utc)
    incident(server)
    phone = open_phone(browser, server)
    page = phone.page
    page.wait_for_selector("#incident-list li:has-text('确诊 2')")
    page.wait_for_selector("#incidents-state:has-text('实时')")
    server.stop()
    try:
        page.wait_for_selector("#net.offline")
        stopped = datetime.now(timezone.utc)
        page.reload()  # still offline: the page and its last known board come from the phone
        page.wait_for_function("() => window.lianfangPhone?.ready")
        page.locator("#incident-list li", has_text="幼儿园发热聚集").filter(has_text="确诊 2").wait_for()
        known = datetime.fromisoformat(page.evaluate("lianfangPhone.board().knownAt").replace("Z", "+00:00"))
        assert started <= known <= stopped
        shown = page.locator("#incidents-state").inner_text()
        assert f"已知于 {known.astimezone(COUNTY_TIME):%H:%M}" in shown
        page.get_by_role("button", name="报告事件").click()
        page.get_by_role("button", name="在地图上选点").click()
        wait_map(page)  # Leaflet and the jurisdiction's outline, offline
        assert not page.evaluate("lianfangPhone.board().live")
    finally:
        server.start()
    page.wait_for_selector("#incidents-state:has-text('实时')")
    phone.context.close()
