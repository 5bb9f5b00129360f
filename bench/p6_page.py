"""P6: the map page with 17,649 zones and 100,000 points, in headless Chromium (Debian's, via Playwright).

The page is timed from outside, without knowing its code: an init script wraps the page's WebSocket
so that every message's arrival, the end of its handler and the next painted frame are recorded.
served = DOMContentLoaded; interactive = the snapshot handled and painted; one delta = a field report
posted after that, from its message's arrival to the frame painted after its handler.
"""
from __future__ import annotations

import time

from bench.common import ROOT, SCRATCH, Result, not_run, serve
from bench.history import build_map

NAME, TITLE = "P6", "map page with 17,649 zones + 100,000 points"
GOAL = "served ≤ 1 s, interactive ≤ 3 s, one delta applied ≤ 50 ms"
WATCH = """(() => {
  const Native = window.WebSocket, log = window.__bench = [];
  function Watched(url, protocols) {
    const ws = new Native(url, protocols), add = ws.addEventListener.bind(ws);
    const wrap = (fn) => function (event) {
      const arrived = performance.now(), result = fn.call(this, event), handled = performance.now();
      const type = (String(event.data).slice(0, 40).match(/"type":"(\\w+)"/) || [])[1];
      requestAnimationFrame(() => log.push({type, arrived, handled, painted: performance.now(), bytes: String(event.data).length}));
      return result;
    };
    ws.addEventListener = (type, fn, options) => add(type, type === "message" ? wrap(fn) : fn, options);
    Object.defineProperty(ws, "onmessage", {set(fn) { add("message", wrap(fn)); }, get() { return null; }});
    return ws;
  }
  Watched.prototype = Native.prototype;
  Object.assign(Watched, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
  window.WebSocket = Watched;
})();"""


def run(quick: bool = False, scaled: bool = False) -> Result:
    if not (ROOT / "live-map" / "index.html").is_file():
        return not_run(NAME, TITLE, GOAL, "page missing (live-map/index.html)")
    from servers import chromium_path

    if chromium_path() is None:
        return not_run(NAME, TITLE, GOAL, "no Chromium at /usr/bin/chromium")
    zones, points = (200, 1000) if quick else (17_649, 100_000)
    directory = SCRATCH / f"map-{zones}-{points}"
    info = build_map(directory, zones, points)
    with serve(directory) as server:
        figures = _measure(server, info["token"], info["incident"])
    figures["history"] = info
    met = figures["served_ms"] <= 1000 and figures["interactive_ms"] <= 3000 and (figures["delta_ms"] or 1e9) <= 50
    headline = (f"served {figures['served_ms']:.0f} ms, interactive {figures['interactive_ms']:.0f} ms, "
                f"delta {figures['delta_ms']} ms (snapshot {figures['snapshot_bytes'] / 1e6:.1f} MB)")
    return Result(NAME, TITLE, GOAL, f"{zones:,} zones + {points:,} points", met, headline, figures)


def _measure(server, token: str, incident: str) -> dict:  # noqa: ANN001
    import httpx
    from playwright.sync_api import sync_playwright
    from servers import chromium_path

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.add_init_script(WATCH)
        page.goto(f"{server.url}/?access_token={token}", wait_until="domcontentloaded", timeout=120_000)
        page.wait_for_function("window.__bench.some(m => m.type === 'snapshot' || m.type === 'resync')", timeout=300_000)
        served = page.evaluate("performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd")
        before = page.evaluate("window.__bench.length")
        answer = httpx.post(f"{server.url}/api/v1/incidents/{incident}/reports", headers={"Authorization": f"Bearer {token}"},
                            json={"new": {"suspected": 1}, "note": "benchmark"}, timeout=30)
        answer.raise_for_status()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and page.evaluate(f"window.__bench.slice({before}).some(m => m.type === 'delta')") is False:
            time.sleep(0.05)
        log = page.evaluate("window.__bench")
        browser.close()
    snapshot = next(m for m in log if m["type"] in ("snapshot", "resync"))
    delta = next((m for m in log[before:] if m["type"] == "delta"), None)
    return {"served_ms": round(served, 1), "interactive_ms": round(snapshot["painted"], 1),
            "snapshot_handler_ms": round(snapshot["handled"] - snapshot["arrived"], 1), "snapshot_bytes": snapshot["bytes"],
            "delta_ms": round(delta["painted"] - delta["arrived"], 1) if delta else None}

