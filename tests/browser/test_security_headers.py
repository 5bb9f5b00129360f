"""The pages run under a strict Content-Security-Policy: only this server's scripts and styles, none inline.

Chromium reports every breach of the policy as a `securitypolicyviolation` event: none may happen on the map
page or on /docs, and /docs lists the API's operations with every request to another host blocked."""
from __future__ import annotations

from typing import Any

from playwright.sync_api import Browser, Route

from map_support import LiveServer, WallPage, seed_county

WATCH = "window.__violations = []; document.addEventListener('securitypolicyviolation', " \
        "e => window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));"


def check_headers(headers: dict[str, str]) -> None:
    csp = headers["content-security-policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp and "worker-src 'self'" in csp
    assert headers["referrer-policy"] == "no-referrer" and headers["x-content-type-options"] == "nosniff"


def test_the_map_page_breaks_no_rule_of_its_policy(server: LiveServer, wall: WallPage) -> None:
    seed_county(server.client())  # incidents, zones, teams, tasks (their progress bars), an alert
    wall.page.add_init_script(WATCH)
    answer = wall.page.request.get(f"{server.url}/")
    check_headers(answer.headers)
    check_headers(wall.page.request.get(f"{server.url}/api/v1/config").headers)
    page = wall.page
    page.goto(f"{server.url}/?access_token={server.observer}")
    # (a predicate as a function: a bare expression would be eval'd in the page, which the policy refuses)
    page.wait_for_function("() => window.lianfang && lianfang.status().conn === 'live' && lianfang.status().position !== null")
    page.wait_for_selector("#ledger-list li .task-progress .bar i", state="attached")
    widths = page.eval_on_selector_all("#ledger-list .task-progress .bar i", "els => els.map(e => e.style.width)")
    assert widths and all(w.endswith("%") for w in widths), "the progress bars still have their width"
    assert page.evaluate("window.__violations") == []


def test_docs_list_the_operations_offline_and_break_no_rule(browser: Browser, server: LiveServer) -> None:
    context = browser.new_context()
    elsewhere: list[str] = []

    def only_this_server(route: Route) -> Any:
        if route.request.url.startswith(server.url):
            return route.continue_()
        elsewhere.append(route.request.url)
        return route.abort()

    context.route("**/*", only_this_server)
    page = context.new_page()
    page.add_init_script(WATCH)
    try:
        answer = page.goto(f"{server.url}/docs")
        assert answer is not None and answer.ok
        check_headers(answer.headers)
        page.wait_for_selector(".opblock-summary-path", timeout=20_000)
        paths = set(page.eval_on_selector_all(".opblock-summary-path", "els => els.map(e => e.dataset.path || e.textContent)"))
        assert "/api/v1/incidents" in paths and "/api/v1/incidents/{incident_id}/reports" in paths
        assert page.evaluate("window.__violations") == []
        assert elsewhere == [], "the docs asked for nothing outside this server"
    finally:
        context.close()
