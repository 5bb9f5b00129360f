"""The after-action report (复盘报告) as one self-contained HTML file: inline CSS, the plots as inline SVG, and the
subset of the packaged CJK font that its words need, so it reads the same on a machine with no CJK font."""
from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

from scenarios.expectations import describe
from scenarios.review import MILESTONES, clock
from scenarios.review_font import FAMILY, font_face
from scenarios.review_plots import cases_svg, situation_svg, tasks_svg
from scenarios.review_words import DASH, HOLDS_NAMES, INDICATOR_HEADERS, SOURCE_NAMES, THING_NAMES, KindNames, counted, duration, who, word

if TYPE_CHECKING:
    from scenarios.review import ActivityLog, Record

CSS = """
body { font-family: "FAMILY", "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif;
       margin: 0 auto; max-width: 1100px; padding: 0 1.5em 3em; color: #222; line-height: 1.45; }
header { border-bottom: 3px solid #b22222; margin-bottom: 1em; }
.exercise { background: #b22222; color: #fff; display: inline-block; padding: .2em .8em; font-weight: bold; letter-spacing: .1em; }
nav a { margin-right: 1em; } h2 { border-left: 6px solid #b22222; padding-left: .4em; margin-top: 2em; }
table { border-collapse: collapse; width: 100%; font-size: .88em; margin: .5em 0 1em; }
th, td { border: 1px solid #ccc; padding: .25em .5em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
.held { color: #1a7f37; font-weight: bold; } .failed { color: #c00; font-weight: bold; }
.green { background: #e3f5e9; } .yellow { background: #fff4cc; } .red { background: #fde0de; }
figure { display: inline-block; margin: .5em; vertical-align: top; } figure svg { display: block; max-width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { font-size: .85em; color: #555; } .muted { color: #777; }
""".replace("FAMILY", FAMILY)


def e(value: Any) -> str:
    return escape("" if value is None else str(value))


def table(headers: list[str], rows: list[list[Any]], classes: list[str] | None = None) -> str:
    head = "".join(f"<th>{e(h)}</th>" for h in headers)
    body = []
    for n, row in enumerate(rows):
        cls = f' class="{classes[n]}"' if classes and classes[n] else ""
        cells = "".join(f'<td class="n">{e(c)}</td>' if isinstance(c, (int, float)) else f"<td>{c}</td>" for c in row)
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def section(anchor: str, title: str, content: str) -> str:
    return f'<section id="{anchor}"><h2>{e(title)}</h2>{content}</section>'


NAV = {"key-times": "关键时间节点", "situation": "态势图", "plots": "趋势", "indicators": "考评指标", "ledger": "任务台账",
       "alerts": "预警", "expectations": "演练评估", "activity": "工作日志", "timeline": "时间线"}


def render(record: Record) -> str:
    """The whole report; every section has an id for linking."""
    sections = [
        section("key-times", "关键时间节点", key_times(record)),
        section("situation", "关键时刻态势图", situation(record)),
        section("plots", "趋势", plots(record)),
        section("indicators", "各单位考评指标", unit_indicators(record)),
        section("ledger", "结束时任务台账", task_ledger(record)),
        section("alerts", "公众预警（CAP 1.2）", alerts(record)),
        section("expectations", "演练评估", expectations(record)),
        section("activity", "单位工作日志（ICS 214）", "".join(activity_log(record, log) for log in record.activity)),
        section("timeline", "事件时间线（审计记录）", timeline(record)),
    ]
    nav = "".join(f'<a href="#{a}">{e(NAV[a])}</a>' for a in NAV)
    title = f"复盘报告 {e(record.title)}"
    body = f"{header(record)}<nav>{nav}</nav>{''.join(sections)}"
    return (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title>'
            f"<style>{font_face(title + body)}\n{CSS}</style></head><body>{body}</body></html>")


def header(record: Record) -> str:
    banner = '<div class="exercise">演练 EXERCISE</div>' if record.marker else ""
    run = f"演练 {e(record.marker['run'])} · " if record.marker else "实战记录 · "
    final = record.samples[-1]
    counts = (f"处置中事件 {final.counts['open_incidents']} · 区域 {e(counted('zones', final.counts['zones']))} · "
              f"调度 {e(counted('dispatches', final.counts['dispatches']))} · 任务 {e(counted('tasks', final.colours))}")
    return (f"<header>{banner}<h1>复盘报告：{e(record.title)}</h1>"
            f"<p>{run}记录 {e(record.store)} · {len(record.facts)} 条事件 · "
            f"{record.start:%Y-%m-%d %H:%M} → {record.end:%Y-%m-%d %H:%M %z}</p><p class=\"muted\">结束时：{counts}</p></header>")


def key_times(record: Record) -> str:
    rows = []
    for i in record.key_times:
        row = [e(i["title"]), e(clock(i["reported"], record.start))]
        for key, _ in MILESTONES[1:]:
            row.append(f"{e(clock(i[key], record.start))}<br>+{e(duration(i['minutes'][key]))}" if key in i else '<span class="muted">—</span>')
        rows.append(row)
    headers = ["事件", *[label for _, label in MILESTONES]]
    return table(headers, rows) if rows else "<p>本次记录未报告事件。</p>"


def situation(record: Record) -> str:
    figures = []
    for snapshot in record.snapshots:
        caption = f"{' · '.join(snapshot.labels)} {clock(snapshot.at, record.start)}"
        figures.append(f'<figure role="img" aria-label="{e(caption)}">{situation_svg(record.geography, snapshot, caption)}'
                       f"<figcaption>{e(caption)}</figcaption></figure>")
    return "".join(figures)


def plots(record: Record) -> str:
    return (f'<figure role="img" aria-label="累计病例与密接">{cases_svg(record.samples)}</figure>'
            f'<figure role="img" aria-label="任务三色清单">{tasks_svg(record.samples)}</figure>')


def unit_indicators(record: Record) -> str:
    keys = ["tasks_assigned", "tasks_claimed", "completed_on_time", "completed_late", "refused", "overdue_open",
            "median_minutes_to_claim", "median_minutes_to_first_progress", "median_minutes_to_complete", "dispatches",
            "median_minutes_request_to_commit", "median_minutes_request_to_arrival"]
    rows = [[e(r["name"]), *[e(duration(r[k])) if k.startswith("median") else (DASH if r[k] is None else r[k]) for k in keys]]
            for r in record.indicators]
    return table(["单位", *[INDICATOR_HEADERS[k] for k in keys]], rows) if rows else "<p>没有单位牵头任务或调派资源。</p>"


def task_ledger(record: Record) -> str:
    rows = [[e(r["title"]), e(r["lead_name"]), e("、".join(r["cooperating_names"])), e(clock_iso(r["due"], record)),
             e(word("taskState", r["state"])), DASH if r["percent"] is None else r["percent"],
             f"{e(word('colour', r['colour']))}：{e(r['reason'] or DASH)}"] for r in record.ledger_rows]
    return table(["任务", "牵头单位", "配合单位", "时限", "状态", "进度 %", "三色"], rows, [r["colour"] for r in record.ledger_rows])


def alerts(record: Record) -> str:
    """Every alert issued, updated or cancelled, as CAP would carry it (status Exercise in drills)."""
    rows = []
    for fact in record.facts:
        if fact.thing_kind != "Alert":
            continue
        e_ = fact.event
        what = {"AlertIssued": "发布", "AlertUpdated": "更新", "AlertCancelled": "撤销"}.get(fact.type, fact.type)
        rows.append([clock(fact.at, record.start), what, getattr(e_, "headline", "") or "",
                     " / ".join(word(k, getattr(e_, k)) for k in ("severity", "urgency", "certainty") if getattr(e_, k, None)),
                     _status(getattr(e_, "status", None)), SOURCE_NAMES.get(fact.meta.get("source"), fact.meta.get("source") or DASH), f"/api/v1/alerts/{fact.thing}.cap.xml"])
    if not rows:
        return "<p>本次记录未发布预警。</p>"
    return table(["时间", "动作", "标题", "严重/紧急/确定", "状态", "来源", "CAP 1.2"], rows)


def _status(value: Any) -> str:
    """A CAP status in Chinese, with the code CAP carries: 演练（Exercise）."""
    return f"{word('alertStatus', value)}（{value}）" if value else DASH


def clock_iso(value: str, record: Record) -> str:
    from datetime import datetime

    return clock(datetime.fromisoformat(value), record.start)


def expectations(record: Record) -> str:
    if not record.expectations:
        return "<p>本记录没有演练评估（只有演练运行才评估预期）。</p>"
    held = sum(o.held for o in record.expectations)
    status = "held" if held == len(record.expectations) else "failed"
    rows, classes = [], []
    for o in record.expectations:
        for c in o.checks:
            mark = '<span class="held">达成</span>' if c.held else '<span class="failed">未达成</span>'
            rows.append([o.number, e(o.at), o.line, e(HOLDS_NAMES.get(c.key, c.key)), e(_held(c.key, c.expected)), e(_held(c.key, c.actual)), mark])
            classes.append("" if c.held else "red")
    return f'<p class="{status}">{len(record.expectations)} 项预期中 {held} 项达成</p>' + table(
        ["#", "时刻", "行", "检查项", "预期", "实际", ""], rows, classes)


def _held(key: str, value: Any) -> str:
    return counted(key, value) if isinstance(value, dict) else describe(value)


def activity_log(record: Record, log: ActivityLog) -> str:
    first, last = log.activities[0]["recorded_at"], log.activities[-1]["recorded_at"]
    personnel = "、".join(f"{e(name)}（{e(word('role', role))}）" for name, role in log.personnel.items())
    kinds = _kinds(record)
    resources = "、".join(e(r) for r in log.resources) or "—"
    rows = [[e(clock_iso(a["recorded_at"], record)), e(who(a)), e(kinds.in_summary(a["summary_zh"])),
             e(a["reason"] or "")] for a in log.activities]
    kind = word("unitKind", log.kind) if log.kind in ("department", "township") else word("role", log.kind)
    return (f"<h3>{e(log.name)} <span class=\"muted\">（{e(kind)}）</span></h3>"
            f"<p>工作时段：{e(clock_iso(first, record))} → {e(clock_iso(last, record))}<br>"
            f"人员：{personnel}<br>资源：{resources}</p>"
            + table(["时间", "人员", "工作内容", "原因 / 备注"], rows))


def _kinds(record: Record) -> KindNames:
    return KindNames(record.snapshots[-1].state.get("kinds") if record.snapshots else None)


def timeline(record: Record) -> str:
    kinds = _kinds(record)
    rows = [[a["position"], e(clock_iso(a["recorded_at"], record)), e(who(a)), e(word("role", a["role"])),
             e(THING_NAMES.get(a["thing_kind"], a["thing_kind"])), e(kinds.in_summary(a["summary_zh"])), e(a["reason"] or "")]
            for a in record.entries]
    return table(["#", "时间", "人员", "角色", "对象", "内容", "原因 / 备注"], rows)
