"""Per-unit indicators (考评指标): counts and median times for a small story whose answers are known."""
from __future__ import annotations

from datetime import timedelta

from projections.indicators import indicators

from story import START, unit_meta

DAY = timedelta(days=1)


def at(story, **delta):
    story.clock.advance_to(START + timedelta(**delta))


def test_counts_and_medians_of_a_known_story(story, projections):
    health, police = story.unit("县卫健局"), story.unit("县公安局")
    as_health, as_police = unit_meta(health), unit_meta(police)
    incident = story.incident({"confirmed": 2})
    ambulance = str(story.do("register_resource", kind="ambulance", name="120-01", unit=health, position=[104.05, 30.65]).id)
    # 08:00: five tasks, three for the health bureau and two for the police; one ambulance requested.
    on_time, late, never = (story.task(health, START + DAY) for _ in range(3))
    refused, pressed = story.task(police, START + 5 * DAY), story.task(police, START + 10 * DAY)
    first = str(story.do("request_dispatch", incident=incident, kind="ambulance").id)
    # The first dispatch: committed after 10 min, on scene after 40 min.
    at(story, minutes=10)
    story.do("commit_dispatch", first, resource=ambulance, meta=as_health)
    at(story, minutes=20)
    story.do("depart", first, meta=as_health)
    at(story, minutes=30)
    story.do("claim_task", on_time, meta=as_health)
    at(story, minutes=40)
    story.do("arrive", first, meta=as_health)
    at(story, minutes=50)
    story.do("release", first, meta=as_health)
    # 09:00: the police claim theirs and are pressed to answer by 10:00; a second ambulance is requested.
    at(story, hours=1)
    story.do("claim_task", pressed, meta=as_police)
    story.do("supervise_task", pressed, notice="请报告进展", answer_by=(START + timedelta(hours=2)).isoformat())
    second = str(story.do("request_dispatch", incident=incident, kind="ambulance").id)
    at(story, minutes=90)
    story.do("claim_task", late, meta=as_health)
    story.do("commit_dispatch", second, resource=ambulance, meta=as_health)
    at(story, hours=2)
    story.do("report_progress", on_time, percent=40, meta=as_health)
    story.do("depart", second, meta=as_health)
    at(story, minutes=150)
    story.do("arrive", second, meta=as_health)
    at(story, hours=3)
    story.do("refuse_task", refused, reason="不属于本单位职责", meta=as_police)
    # A third request is cancelled before any resource: it counts for nobody.
    story.do("cancel_dispatch", str(story.do("request_dispatch", incident=incident, kind="ambulance").id))
    at(story, hours=4)
    story.do("report_progress", late, percent=10, meta=as_health)
    at(story, hours=10)
    story.do("complete_task", on_time, meta=as_health)
    at(story, days=2)
    story.do("complete_task", late, meta=as_health)
    at(story, days=3)
    projections.catch_up()

    units = {uid: u["name"] for uid, u in projections.map.state["units"].items()}
    rows = {r["name"]: r for r in indicators(projections.ledger.rows(), list(projections.map.state["dispatches"].values()), units)}
    assert set(rows) == {"县卫健局", "县公安局"}
    h, p = rows["县卫健局"], rows["县公安局"]
    # The health bureau: one on time, one late, one never claimed and now overdue.
    assert (h["tasks_assigned"], h["tasks_claimed"], h["completed_on_time"], h["completed_late"], h["refused"], h["overdue_open"]) == (3, 2, 1, 1, 0, 1)
    assert h["median_minutes_to_claim"] == 60.0  # 30 and 90
    assert h["median_minutes_to_first_progress"] == 180.0  # 120 and 240
    assert h["median_minutes_to_complete"] == 1740.0  # 600 and 2880
    assert h["dispatches"] == 2
    assert h["median_minutes_request_to_commit"] == 20.0  # 10 and 30
    assert h["median_minutes_request_to_arrival"] == 65.0  # 40 and 90
    # The police: one refused, one red for an unanswered notice but not overdue (due in ten days).
    assert (p["tasks_assigned"], p["tasks_claimed"], p["completed_on_time"], p["completed_late"], p["refused"], p["overdue_open"]) == (2, 1, 0, 0, 1, 0)
    assert p["median_minutes_to_claim"] == 60.0
    assert p["median_minutes_to_first_progress"] is None and p["median_minutes_to_complete"] is None
    assert (p["dispatches"], p["median_minutes_request_to_commit"]) == (0, None)

