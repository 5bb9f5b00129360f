"""The after-action report reads on a machine with no CJK font: Chromium, given a fontconfig without one, draws
every Chinese character of the plots and tables from the font embedded in the report, never an empty box."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from domain.application.settings import PROJECT_ROOT, Settings
from scenarios.loader import load
from scenarios.local import run_in_store
from scenarios.review import replay
from scenarios.review_font import FAMILY
from scenarios.review_html import render

pytestmark = pytest.mark.browser
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
LATIN_ONLY = [d for d in ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/truetype/liberation") if Path(d).is_dir()]
SCREENS = PROJECT_ROOT / "test-output" / "review"

# Each distinct non-ASCII character of the page, drawn on a canvas in the font its element is set in, against a
# code point no font has (plane 16's last private-use point): an identical picture is an empty box (tofu).
TOFU = """(scope) => {
  const canvas = document.createElement('canvas'); canvas.width = 48; canvas.height = 48;
  const g = canvas.getContext('2d', {willReadFrequently: true});
  const draw = (ch, family) => { g.clearRect(0, 0, 48, 48); g.font = `32px ${family}`; g.fillStyle = '#000';
                                 g.fillText(ch, 4, 38); return g.getImageData(0, 0, 48, 48).data.join(','); };
  const seen = new Map();
  for (const el of document.querySelectorAll(scope)) {
    if (el.children.length && !(el instanceof SVGTextElement)) continue;
    const family = getComputedStyle(el).fontFamily;
    for (const ch of el.textContent) if (ch.codePointAt(0) > 0x2000 && !seen.has(ch + family)) seen.set(ch + family, [ch, family]);
  }
  const tofu = [], fine = [];
  for (const [ch, family] of seen.values()) (draw(ch, family) === draw('\\u{10FFFD}', family) ? tofu : fine).push(ch);
  return {tofu: tofu.join(''), fine: fine.length, families: [...new Set([...seen.values()].map(v => v[1]))]};
}"""


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("review-fonts")
    _, store = run_in_store(load(PROJECT_ROOT / "scenarios" / "kindergarten-fever-cluster.yaml"), tmp / "kg",
                            live=Settings(data_dir=tmp / "live"))
    page = tmp / "review.html"
    page.write_text(render(replay(store)), encoding="utf-8")
    return page


@pytest.fixture(scope="module")
def no_cjk_browser(chromium_executable: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    """Chromium whose fontconfig knows only Latin fonts (`make test` installs fonts-noto-cjk; a viewer may not)."""
    conf = tmp_path_factory.mktemp("fontconfig")
    dirs = "".join(f"<dir>{d}</dir>" for d in LATIN_ONLY)
    (conf / "fonts.conf").write_text(f'<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd">'
                                     f"<fontconfig>{dirs}<cachedir>{conf / 'cache'}</cachedir></fontconfig>")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_executable, args=CHROMIUM_ARGS,
                                              env={"FONTCONFIG_FILE": str(conf / "fonts.conf"), "HOME": str(conf)})
        yield chromium
        chromium.close()


def opened(browser: Browser, report: Path, locale: str) -> Page:
    page = browser.new_context(viewport={"width": 1366, "height": 768}, locale=locale).new_page()
    page.goto(report.as_uri())
    page.evaluate("document.fonts.ready")
    return page


def test_this_browser_has_no_cjk_font_of_its_own(no_cjk_browser: Browser, report: Path) -> None:
    # Without the report's font, Chinese is a row of empty boxes here: the check below can tell.
    page = opened(no_cjk_browser, report, "zh-CN")
    page.set_content('<p style="font-family: sans-serif">累计病例与密接 封控区 县教育局</p>')
    result = page.evaluate(TOFU, "p")
    assert result["fine"] == 0 and len(result["tofu"]) == 14, result
    page.context.close()


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_the_plots_and_tables_draw_every_chinese_character(no_cjk_browser: Browser, report: Path, locale: str) -> None:
    page = opened(no_cjk_browser, report, locale)
    loaded = page.evaluate("[...document.fonts].filter(f => f.status === 'loaded').map(f => f.family)")
    assert any(FAMILY in family for family in loaded), loaded
    plots = page.evaluate(TOFU, "svg text")
    assert plots["tofu"] == "" and plots["fine"] > 60, plots  # the maps' townships, legends, titles, case names
    assert all(family.startswith(f'"{FAMILY}"') for family in plots["families"]), plots["families"]
    tables = page.evaluate(TOFU, "h1, h2, h3, p, th, td, figcaption")
    assert tables["tofu"] == "" and tables["fine"] > 200, tables
    SCREENS.mkdir(parents=True, exist_ok=True)
    for section in ("situation", "plots"):
        page.locator(f"#{section} figure").first.screenshot(path=str(SCREENS / f"{section}-{locale}.png"))
    page.context.close()
