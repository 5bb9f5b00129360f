"""The map opens from a one-time sign-in link (…/#enrol=CODE): the code leaves the address bar, the token stays
in the session, and the same link opened again is refused with a message that says what to do."""
from __future__ import annotations

from playwright.sync_api import Browser

from conftest import WALL
from map_support import LiveServer, WallPage


def test_a_sign_in_link_opens_the_map_once(browser: Browser, server: LiveServer, wall: WallPage) -> None:
    made = server.client().post("/enrolments", {"role": "observer", "name": "大屏"})
    link = f"{server.url}/#enrol={made['code']}"
    page = wall.page
    page.goto(link)
    page.wait_for_function("() => window.lianfang && lianfang.status().conn === 'live'")
    assert page.evaluate("location.href") == f"{server.url}/"
    token = page.evaluate("sessionStorage.getItem('lianfang.token')")
    me = server.client(token).get("/me")
    assert (me["role"], me["name"]) == ("observer", "大屏")
    page.reload()  # the session keeps the token: no second code needed
    page.wait_for_function("() => window.lianfang && lianfang.status().conn === 'live'")
    again = browser.new_context(viewport=WALL, locale="zh-CN")
    try:
        other = again.new_page()
        other.goto(link)
        other.wait_for_selector("#login:not([hidden])")
        assert "已用过或已过期" in other.inner_text("#login-error")
        assert other.evaluate("location.hash") == ""
    finally:
        again.close()
