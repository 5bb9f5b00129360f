"""The after-action review (复盘): a store replayed into a report of what happened, who did it, how fast.

Drill stores are reviewed in both modes: in scale-out mode the drill's events are in a PostgreSQL database of its own.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from scenario_texts import SCENARIOS
from typer.testing import CliRunner

import api.cli_drills  # noqa: F401  (registers the commands)
from api.cli import cli
from domain.application.settings import Settings
from scenarios.loader import load
from scenarios.local import run_in_store
from scenarios.review import ReviewError, replay, summary
from scenarios.review_html import render

KINDERGARTEN = SCENARIOS / "kindergarten-fever-cluster.yaml"
runner = CliRunner()


@pytest.fixture(scope="module", params=("embedded", "scaleout"))
def drill_store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The kindergarten drill, run once for the whole module in each mode (scale-out: into a PostgreSQL database)."""
    tmp = tmp_path_factory.mktemp("review")
    server = request.getfixturevalue("postgres_server") if request.param == "scaleout" else None
    database_url = server.create_database() if server else None
    _, store = run_in_store(load(KINDERGARTEN), tmp / "kindergarten", live=Settings(data_dir=tmp / "live"),
                            database_url=database_url)
    assert (store / "events.sqlite").exists() == (server is None)
    yield store
    if server:
        server.drop_database(database_url.rsplit("/", 1)[1])


@pytest.fixture(scope="module")
def report_html(drill_store: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("html") / "review.html"
    result = runner.invoke(cli, ["review", str(drill_store), "--html", str(out)])
    assert result.exit_code == 0, result.output
    return out.read_text(encoding="utf-8")


def test_the_key_times_run_from_report_to_first_team_on_scene(drill_store: Path) -> None:
    record = replay(drill_store)
    (kg,) = record.key_times
    # Reported at +01:20; first team on scene +02:25, level set +04:00, zone declared +04:15
    assert kg["title"] == "城关街道向阳幼儿园发热聚集"
    assert kg["reported"].isoformat() == "2026-03-02T09:20:00+08:00"
    assert kg["minutes"] == {"level_set": 160, "zone_declared": 175, "first_on_scene": 65}


def test_the_replay_ends_where_the_drill_ended(drill_store: Path) -> None:
    record = replay(drill_store)
    final = record.samples[-1]
    assert final.at.isoformat() == "2026-03-16T18:00:00+08:00"  # +346:00, the last expectation
    assert final.counts["open_incidents"] == 0
    assert final.cumulative == {"confirmed": 10, "suspected": 11, "asymptomatic": 2, "close_contacts": 94}
    assert final.colours == {"green": 4}
    assert [o.held for o in record.expectations] == [True] * 7


def test_as_of_a_moment_the_review_stops_there(drill_store: Path) -> None:
    record = replay(drill_store, "+34:00")
    assert record.end.isoformat() == "2026-03-03T18:00:00+08:00"
    final = record.samples[-1]
    assert final.counts["cases"] == {"confirmed": 9, "suspected": 11, "asymptomatic": 2, "close_contacts": 89}
    assert final.colours == {"green": 1, "yellow": 2}
    assert all(e["recorded_at"] <= "2026-03-03T18:00:00+08:00" for e in record.entries)
    assert len(record.entries) < len(replay(drill_store).entries)
    assert [o.at for o in record.expectations] == ["+06:00", "+34:00"]  # graded by then
    with pytest.raises(ReviewError):
        replay(drill_store, "yesterday")


def test_per_unit_indicators_and_activity_logs(drill_store: Path) -> None:
    record = replay(drill_store)
    education = next(r for r in record.indicators if r["name"] == "县教育局")
    # Claimed at +54:10, 49 h 20 min after it was assigned at +04:50; completed on time
    assert education["tasks_assigned"] == 1 and education["completed_on_time"] == 1
    assert education["median_minutes_to_claim"] == 2960.0
    logs = {log.name: log for log in record.activity}
    assert {"县卫生健康局", "县教育局", "城关街道办事处", "县突发公共卫生事件应急指挥部"} <= set(logs)
    assert any("回复督办单第1号" in a["summary_zh"] for a in logs["县教育局"].activities)
    assert "县疾控中心流调一组" in logs["县卫生健康局"].personnel


def test_the_html_report_has_its_sections_and_numbers(report_html: str) -> None:
    for section in ("key-times", "situation", "plots", "indicators", "expectations", "activity", "timeline"):
        assert f'id="{section}"' in report_html
    assert "示范县城关街道幼儿园发热聚集性疫情应急演练" in report_html
    assert "7 项预期中 7 项达成" in report_html
    assert "+2小时40分" in report_html and "+2小时55分" in report_html  # from report to level set, to zone
    assert "督办单〔2026〕1号" in report_html  # a supervision notice, in the timeline
    assert report_html.count('<figure role="img"') == report_html.count("<svg") >= 5  # the plots, inline
    # Their words are text in the report's own font, embedded as WOFF2 (tests/browser/test_review_fonts.py)
    assert re.search(r"<text style=\"[^\"]*font-family: 'Lianfang Noto Sans SC', sans-serif[^\"]*\"[^>]*>城关街道", report_html)
    assert re.search(r'@font-face \{ font-family: "Lianfang Noto Sans SC";.*src: url\(data:font/woff2;base64,[A-Za-z0-9+/=]{5000,}\)', report_html)
    assert len(set(re.findall(r'\bid="([^"]+)"', report_html))) == len(re.findall(r'\bid="([^"]+)"', report_html))  # ids unique
    # Self-contained: nothing is fetched from anywhere
    assert not re.search(r'(src|href)="(https?:)?//', report_html)
    assert "<style>" in report_html


def test_the_text_summary_without_html(drill_store: Path) -> None:
    result = runner.invoke(cli, ["review", str(drill_store)])
    assert result.exit_code == 0, result.output
    assert "城关街道向阳幼儿园发热聚集" in result.output
    assert "启动响应 +2小时40分" in result.output
    assert "7 项预期中 7 项达成" in result.output
    assert "县教育局：" in result.output and "认领用时中位数 2天1小时20分" in result.output
    assert "None" not in result.output and "min" not in result.output
    assert english_in(result.output.replace(str(drill_store), "")) == []  # the text review follows the report's rules
    assert summary(replay(drill_store)) in result.output
    as_of = runner.invoke(cli, ["review", str(drill_store), "--at", "+34:00"])
    assert as_of.exit_code == 0 and "至 2026-03-03 18:00 +0800" in as_of.output
    assert runner.invoke(cli, ["review", str(drill_store), "--at", "2026-03-03 18:00"]).exit_code == 2  # no offset


def test_a_live_store_is_reviewed_too(tmp_path: Path, live: Settings) -> None:
    # A live store (no drill.json) with one incident reported through the Application; in scale-out mode its
    # events are in the PostgreSQL database that LIANFANG_DATABASE_URL names, and `review DATA_DIR` reads them there.
    from domain.application import Coordination
    from domain.base import Meta
    from domain.commands import Command
    from domain.application.eventstore import store_env
    from domain.application.writer import execute

    live.data_dir.mkdir(parents=True, exist_ok=True)
    app = Coordination(store_env(live))
    execute(app, Command("report_incident", Meta(actor="t1", role="field", actor_name="网格员"),
                         {"kind": "cluster", "title": "发热聚集", "location": [104.058, 30.685], "counts": {"suspected": 2}}))
    app.close()
    assert list(live.data_dir.glob("*.sqlite")) == ([] if live.database_url else [live.data_dir / "events.sqlite"])
    record = replay(live.data_dir)
    assert record.marker is None and record.key_times[0]["title"] == "发热聚集"
    assert "expectations" not in summary(record)
    assert 'id="timeline"' in render(record)
    result = runner.invoke(cli, ["review", str(live.data_dir)])
    assert result.exit_code == 0 and "发热聚集" in result.output, result.output
    missing = runner.invoke(cli, ["review", str(tmp_path / "nothing")])
    assert missing.exit_code == 2 and "not a directory" in missing.output
    (tmp_path / "elsewhere").mkdir()  # another directory (a mistyped drill store) is never the live record
    elsewhere = runner.invoke(cli, ["review", str(tmp_path / "elsewhere")])
    assert elsewhere.exit_code == 2 and "holds no event store" in elsewhere.output, elsewhere.output


def test_the_report_lists_the_drills_public_alerts_as_exercises(tmp_path: Path, drill_db: str | None) -> None:
    from scenarios.local import run_in_store
    from scenarios.loader import load
    from scenarios.review import replay
    from scenarios.review_html import render

    store = tmp_path / "canteen"
    report, _ = run_in_store(load(SCENARIOS / "school-canteen-food-poisoning.yaml"), store, database_url=drill_db)
    assert not report.failed
    html = render(replay(store))
    assert not re.search(r"(?<![A-Za-z_/.])(drill|issued|alert)(?![A-Za-z_])", re.sub(r"<[^>]+>|\.cap\.xml", " ", html.split('<section id="alerts">')[1].split("</section>")[0]))
    alerts = html.split('<section id="alerts">')[1].split("</section>")[0]
    assert "县第二中学疑似食物中毒事件健康提示" in alerts and "<td>演练（Exercise）</td>" in alerts and "<td>发布</td><td>" in alerts and "<td>演练脚本</td>" in alerts and ".cap.xml" in alerts


# Keys and values of the read models that a Chinese reader must never see in the report's text.
ENGLISH = ("open_incidents", "completed", "commander", "claimed", "sealed", "en_route", "on_scene", "transport",
           "sampling_team", "department", "township", "median_minutes", "tasks_assigned", "None", "green",
           "drill", "system", "issued", "cancelled", "timeline", "ledger", "close-up", "cumulative", "enrolment",
           "EnrolmentOffered", "EnrolmentRedeemed", "KindDeclared", "CatalogueOpened", "Enrolment", "Catalogue")


def english_in(text: str) -> list[str]:
    return sorted({w for w in ENGLISH if re.search(rf"(?<![A-Za-z_/.]){re.escape(w)}(?![A-Za-z_])", text)})


def test_the_chinese_report_has_no_english_key_of_the_read_models(report_html: str) -> None:
    bare = re.sub(r'(alt|src|class|id|href)="[^"]*"', "", report_html)
    text = re.sub(r"<style>.*?</style>|<[^>]+>", " ", bare, flags=re.S)
    assert english_in(text) == []
    assert re.search(r"请求调度 (转运组|采样队|医疗队|流调队) ×1", text)
    assert "2天1小时20分" in text  # the education bureau's median time to claim (2960 minutes)


def test_a_live_stores_review_names_enrolments_and_kinds_in_chinese(live: Settings) -> None:
    # A live store where a sign-in code was offered and redeemed, and the county declared a kind of its own
    from api.enrolments import mint_enrolment
    from domain.access import token_hash
    from domain.application import Coordination
    from domain.base import Meta
    from domain.commands import Command
    from domain.application.eventstore import store_env
    from domain.application.writer import execute

    live.data_dir.mkdir(parents=True, exist_ok=True)
    app = Coordination(store_env(live))
    commander = Meta(actor="t1", role="commander", actor_name="值班员")
    made = mint_enrolment(app, role="observer", name="大屏", settings=live, meta=commander)
    execute(app, Command("redeem_enrolment", Meta(actor="enrolment:browser-1", role="enrolment", device="browser-1"),
                         {"code_hash": token_hash(made.code), "device": "browser-1", "secret_hash": token_hash("s" * 32),
                          "token_expires_at": made.expires_at.isoformat()}))
    execute(app, Command("declare_kind", commander, {"group": "resource", "code": "drone_team", "zh": "无人机组", "en": "drone team"}))
    app.close()
    record = replay(live.data_dir)
    text = re.sub(r"<style>.*?</style>|<[^>]+>", " ", re.sub(r'(alt|src|class|id|href|style)="[^"]*"', "", render(record)), flags=re.S)
    assert english_in(text) == []
    assert "无人机组" in text and "大屏" in text
    assert english_in(summary(record)) == []
