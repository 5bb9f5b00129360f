"""C1: the commander acts from the map; how long until a second screen shows it (issue 16).

Two headless Chromium pages (Debian's, via Playwright) on one `lianfang serve`: the commander's, and an
observer's wall screen. Each of the actions is made as a person makes it: the form opened from the
incident's board row, filled, 提交 clicked; alternately 续报 (one more suspected case: an append) and 定级
(level III ↔ IV: a state transition sent with If-Match). Timed on the machine's one clock
(performance.timeOrigin + now() in both pages): from the 提交 click on the commander's page to the frame
painted after the observer's board row changed; and to the commander's form closing (it waits for its
own live feed to reach the answered position).
"""
from __future__ import annotations

import time

from bench.common import ROOT, Result, fresh_dir, not_run, serve, spread

NAME, TITLE = "C1", "commander's act (提交) → a second screen shows it"
GOAL = "p99 ≤ 1 s (the issue's goal: every action on the shared map within a second)"
ACTIONS = 50

# On the observer's page: note when the row of `id` shows `text` in `selector` (at the next painted frame).
# The promise is kept on the page (returned, Playwright would wait for it before the 提交 click).
WATCH_ROW = """([id, selector, attribute, want]) => { window.__seen = new Promise((resolve) => {
  const shown = () => {
    const row = document.querySelector(`.incident[data-id='${id}']`);
    const target = row && (selector ? row.querySelector(selector) : row);
    return target && (attribute ? target.dataset[attribute] : target.textContent) === want;
  };
  const done = () => requestAnimationFrame(() => resolve(performance.timeOrigin + performance.now()));
  if (shown()) { done(); return; }
  const observer = new MutationObserver(() => { if (shown()) { observer.disconnect(); done(); } });
  observer.observe(document.getElementById('incident-list'), { subtree: true, childList: true, characterData: true, attributes: true });
}); }"""
MARK_SUBMIT = """() => { window.__submitted = null; document.addEventListener('submit',
  () => { window.__submitted = performance.timeOrigin + performance.now(); }, { capture: true, once: true }); }"""


def run(quick: bool = False, scaled: bool = False) -> Result:
    if not (ROOT / "node_modules" / "leaflet").is_dir():
        return not_run(NAME, TITLE, GOAL, "node_modules missing (make npm)")
    from servers import chromium_path

    if chromium_path() is None:
        return not_run(NAME, TITLE, GOAL, "no Chromium at /usr/bin/chromium")
    actions = 6 if quick else ACTIONS
    directory = fresh_dir("console")
    tokens = _tokens(directory)
    with serve(directory) as server:
        incident = _seed(server.url, tokens["commander"])
        figures = _measure(server.url, tokens, incident, actions)
    seen, closed = figures["to_second_screen_ms"], figures["to_form_closed_ms"]
    met = seen["p99"] is not None and seen["p99"] <= 1000
    headline = (f"to the second screen p50 {seen['p50']} ms, p99 {seen['p99']} ms (max {seen['max']}); "
                f"form closed p50 {closed['p50']} ms, p99 {closed['p99']} ms")
    return Result(NAME, TITLE, GOAL, f"{actions} actions (续报 and 定级 alternately)", met, headline, figures)


def _tokens(directory) -> dict[str, str]:  # noqa: ANN001
    from api.tokens import create_token
    from domain.application.settings import Settings

    settings = Settings(data_dir=directory)
    return {role: create_token(settings, role=role, unit=None, name=f"bench-{role}") for role in ("commander", "observer")}


def _seed(url: str, token: str) -> str:
    import httpx

    answer = httpx.post(f"{url}/api/v1/incidents", headers={"Authorization": f"Bearer {token}"}, timeout=30,
                        json={"kind": "cluster", "title": "基准测试事件", "location": [104.06, 30.67], "counts": {"confirmed": 1}})
    answer.raise_for_status()
    return answer.json()["id"]


def _measure(url: str, tokens: dict[str, str], incident: str, actions: int) -> dict:
    from playwright.sync_api import sync_playwright
    from servers import chromium_path

    to_screen, to_closed = [], []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        pages = {}
        for role in ("commander", "observer"):
            page = browser.new_context(viewport={"width": 1600, "height": 1000}, locale="zh-CN").new_page()
            page.goto(f"{url}/?access_token={tokens[role]}")
            page.wait_for_function("() => window.lianfang && lianfang.status().conn === 'live' && lianfang.status().position !== null")
            pages[role] = page
        commander, observer = pages["commander"], pages["observer"]
        row = commander.locator(f".incident[data-id='{incident}']")
        row.wait_for()
        for n in range(actions):
            if n % 2 == 0:
                act, fields, watch = "续报", {"疑似": "1"}, ["[data-count=suspected]", None, str(n // 2 + 1)]
            else:
                level = "III" if n % 4 == 1 else "IV"
                act, fields = "定级", {"级别": level, "原因": f"基准 {n}"}
                watch = [None, "colour", "yellow" if level == "III" else "blue"]
            row.get_by_role("button", name=act, exact=True).click()
            form = commander.locator("form.action-form")
            for label, value in fields.items():
                field = form.get_by_label(label, exact=True)
                if label == "级别":
                    field.select_option(value=value)
                else:
                    field.fill(value)
            observer.evaluate(WATCH_ROW, [incident, *watch])
            commander.evaluate(MARK_SUBMIT)
            form.get_by_role("button", name="提交", exact=True).click()
            form.wait_for(state="detached", timeout=30_000)
            closed_at = commander.evaluate("() => performance.timeOrigin + performance.now()")
            submitted = commander.evaluate("() => window.__submitted")
            shown_at = observer.evaluate("() => window.__seen")
            to_screen.append((shown_at - submitted) / 1000)
            to_closed.append((closed_at - submitted) / 1000)
            time.sleep(0.05)
        browser.close()
    return {"to_second_screen_ms": spread(to_screen), "to_form_closed_ms": spread(to_closed), "actions": actions,
            "samples_ms": [round(s * 1000, 1) for s in to_screen]}
