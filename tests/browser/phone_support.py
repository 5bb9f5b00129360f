"""The phone page at 390×844 for a field team of 东山镇, signed in with a one-time link; the network is cut for
real by stopping the server (and started again on the same port), since Playwright's offline switch does not
reach a service worker's fetches."""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page

from map_support import LiveServer

PHONE = {"width": 390, "height": 844}
IN_DONGSHAN = {"longitude": 104.2493, "latitude": 30.6626}


@dataclass
class Phone:
    context: BrowserContext
    page: Page
    unit: str
    token: str = ""

    def report_follow_up(self, incident_title: str, confirmed: int = 0, note: str = "") -> None:
        page = self.page
        page.locator("#incident-list li", has_text=incident_title).get_by_role("button", name="续报").click()
        for _ in range(confirmed):
            page.get_by_role("button", name="确诊 +1").click()
        if note:
            page.get_by_label("备注").fill(note)
        page.get_by_role("button", name="提交").click()

    def count(self, status: str) -> int:
        return self.page.locator(f"#outbox-list li[data-status={status}]").count()

    def wait_count(self, status: str, n: int) -> None:
        self.page.wait_for_function(f"() => document.querySelectorAll('#outbox-list li[data-status={status}]').length === {n}")


def open_phone(browser: Browser, server: LiveServer, lang: str = "zh", gps: bool = True,
               at: dict[str, float] = IN_DONGSHAN) -> Phone:
    """gps=False: the person refused the phone's location (the page must offer the small map instead)."""
    api = server.client()
    unit = api.post("/units", {"name": "东山镇人民政府", "kind": "township", "jurisdiction": "510199003"})["id"]
    code = api.post("/enrolments", {"role": "field", "unit": unit, "name": "东山采样一组"})["code"]
    located: dict[str, Any] = {"geolocation": at, "permissions": ["geolocation"]} if gps else {}
    context = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai", has_touch=True, is_mobile=True,
                                  device_scale_factor=1, **located)
    context.set_default_timeout(15_000)
    if lang == "en":
        context.add_init_script("localStorage.setItem('lianfang.lang', 'en')")
    page = context.new_page()
    said: list[str] = []  # what the page logged: a run under load once waited 15 s here for its first live connection
    page.on("console", lambda message: said.append(f"{message.type}: {message.text}"))
    page.on("websocket", lambda socket: said.append(f"websocket opened: {socket.url.split('?')[0]}"))
    page.goto(f"{server.url}/m/#enrol={code}")
    page.wait_for_function("() => window.lianfangPhone?.ready && navigator.serviceWorker.controller !== null")
    try:
        page.wait_for_function("() => document.querySelector('#net').classList.contains('online')")
    except Exception as error:
        net = page.evaluate("() => document.querySelector('#net').className")
        raise AssertionError(f"the phone never went online (#net is {net!r}); it said: {said}") from error
    return Phone(context, page, unit)


def incident(server: LiveServer, title: str = "幼儿园发热聚集") -> dict[str, Any]:
    return server.client().post("/incidents", {"kind": "cluster", "title": title, "location": [104.2493, 30.6626],
                                               "jurisdiction": "510199003", "counts": {"confirmed": 2}})


def events_of(server: LiveServer, kind: str) -> list[dict[str, Any]]:
    events = server.client().get("/events", after=0, limit=5000)["events"]
    return [e for e in events if e["type"] == kind]


def field_reports(server: LiveServer) -> list[dict[str, Any]]:
    return events_of(server, "FieldReportFiled")


def tap_map(page: Page, lon: float, lat: float) -> None:
    """A finger on the small map, at the screen point of [lon, lat]."""
    x, y = page.evaluate("([lon, lat]) => { const p = lianfangPhone.pickMap().latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }",
                         [lon, lat])
    page.locator("#pick-map").tap(position={"x": x, "y": y})


def wait_map(page: Page) -> None:
    """The small map is on screen with the team's jurisdiction drawn (its outline needs no tile)."""
    page.wait_for_selector("#pick-map .leaflet-overlay-pane path")


# The README's phone screenshots: a test run writes them to a scratch folder, so that it never changes the
# checkout; `LIANFANG_SCREENSHOTS=docs/screenshots` makes a run refresh the README's copies.
SHOTS = Path(os.environ.get("LIANFANG_SCREENSHOTS") or tempfile.mkdtemp(prefix="lianfang-shots-")).resolve()
