"""The joint-task ledger (重点工作台账): three colours (三色清单) over simulated time, and why."""
from __future__ import annotations

import copy
from datetime import timedelta

import pytest

from projections.broker import Broker
from projections.ledger import Ledger, colour_of
from projections.readmodel import AlreadyApplied

from story import START, Deltas, unit_meta

DAY = timedelta(days=1)


@pytest.fixture
def deltas(open_projections):
    broker = Broker()
    seen = Deltas(broker)
    seen.projections = open_projections(broker=broker)
    return seen


@pytest.fixture
def units(story):
    return story.unit("县卫健局"), story.unit("县公安局")


def row(p, task):
    return next(r for r in p.ledger.rows() if r["id"] == task)


def tick_at(story, deltas, moment):
    """Move the simulated clock to `moment`, tick, and return the task rows that changed by time."""
    story.clock.advance_to(moment)
    deltas.projections.tick()
    return [c["task"] for c in deltas.changes("tasks", cause="time")]


def test_a_task_turns_yellow_a_day_before_due_and_red_at_due(story, deltas, units):
    health, police = units
    # Assigned at 08:00 with thirty hours to go, claimed an hour later.
    task = story.task(health, START + timedelta(hours=30), cooperating=[police])
    story.later(hours=1)
    story.do("claim_task", task, meta=unit_meta(health))
    deltas.projections.catch_up()
    assert deltas.changes("tasks")[-1]["task"]["colour"] == "green"
    first = row(deltas.projections, task)
    assert (first["colour"], first["reason"], first["reason_en"]) == ("green", "正常推进", "on track")
    assert (first["lead_name"], first["cooperating_names"]) == ("县卫健局", ["县公安局"])
    # Nothing changes before the last day; at due - 24 h it is yellow, because it is due soon.
    assert tick_at(story, deltas, START + timedelta(hours=5, minutes=59)) == []
    (soon,) = tick_at(story, deltas, START + timedelta(hours=6))
    assert (soon["colour"], soon["reason"], soon["reason_en"]) == ("yellow", "即将到期", "due within 24 h")
    # At the due time itself it is still yellow; one second later, red, by the clock alone.
    assert tick_at(story, deltas, START + timedelta(hours=30)) == []
    (late,) = tick_at(story, deltas, START + timedelta(hours=30, seconds=1))
    assert (late["id"], late["colour"], late["reason"], late["reason_en"]) == (task, "red", "已逾期未完成", "overdue")
    assert deltas.projections.ledger.colours() == {"red": 1}


def test_a_task_nobody_claims_for_48_hours_turns_yellow_and_a_claim_restores_it(story, deltas, units):
    health, _ = units
    task = story.task(health, START + 10 * DAY)
    deltas.projections.catch_up()
    # Exactly 48 h of silence is still green; past it, yellow, and the reason says why.
    assert tick_at(story, deltas, START + timedelta(hours=48)) == []
    assert row(deltas.projections, task)["colour"] == "green"
    (silent,) = tick_at(story, deltas, START + timedelta(hours=48, seconds=1))
    assert (silent["colour"], silent["reason"]) == ("yellow", "超过48小时未认领或无进展报告")
    assert silent["reason_en"] == "no claim or progress report for over 48 h"
    # The claim is activity: green again at once.
    story.do("claim_task", task, meta=unit_meta(health))
    deltas.projections.catch_up()
    assert deltas.changes("tasks")[-1]["task"]["colour"] == "green"
    claimed = story.now
    # Progress twelve hours later restarts the silence clock from then.
    story.later(hours=12)
    story.do("report_progress", task, percent=30, note="已转运12人", meta=unit_meta(health))
    deltas.projections.catch_up()
    deltas.take()
    assert tick_at(story, deltas, claimed + timedelta(hours=48, seconds=1)) == []
    (silent,) = tick_at(story, deltas, claimed + timedelta(hours=60, seconds=1))
    assert silent["colour"] == "yellow" and silent["percent"] == 30


def test_a_task_completed_on_time_stays_green_after_its_due_time(story, deltas, units):
    health, _ = units
    due = START + 3 * DAY
    task = story.task(health, due)
    story.later(hours=2)
    story.do("claim_task", task, meta=unit_meta(health))
    story.later(hours=20)
    story.do("complete_task", task, meta=unit_meta(health))
    deltas.projections.catch_up()
    done = deltas.changes("tasks")[-1]["task"]
    assert (done["colour"], done["reason"], done["reason_en"], done["percent"]) == ("green", "按时完成", "completed on time", 100)
    assert tick_at(story, deltas, due + DAY) == []
    assert row(deltas.projections, task)["colour"] == "green"


def test_a_task_completed_late_is_red_and_says_so(story, deltas, units):
    health, _ = units
    task = story.task(health, START + DAY)
    story.do("claim_task", task, meta=unit_meta(health))
    story.later(days=1, minutes=1)
    story.do("complete_task", task, meta=unit_meta(health))
    deltas.projections.catch_up()
    done = row(deltas.projections, task)
    assert (done["colour"], done["reason"], done["reason_en"]) == ("red", "逾期完成", "completed after its due time")


def test_a_refused_task_is_red_with_the_refusal_as_its_reason(story, deltas, units):
    health, _ = units
    task = story.task(health, START + 5 * DAY)
    story.do("refuse_task", task, reason="不属于本单位职责", meta=unit_meta(health))
    deltas.projections.catch_up()
    refused = deltas.changes("tasks")[-1]["task"]
    assert (refused["colour"], refused["reason"], refused["reason_en"]) == ("red", "已拒绝：不属于本单位职责", "refused: 不属于本单位职责")
    # Time does not change a refused task's colour.
    assert tick_at(story, deltas, START + 20 * DAY) == []


def test_a_supervision_notice_unanswered_past_its_answer_by_turns_the_task_red(story, deltas, units):
    health, _ = units
    task = story.task(health, START + 5 * DAY)
    story.do("claim_task", task, meta=unit_meta(health))
    story.do("supervise_task", task, notice="请于4小时内报告转运进展", answer_by=(START + timedelta(hours=4)).isoformat())
    deltas.projections.catch_up()
    assert deltas.changes("tasks")[-1]["task"]["colour"] == "green"
    assert tick_at(story, deltas, START + timedelta(hours=4)) == []
    (pressed,) = tick_at(story, deltas, START + timedelta(hours=4, seconds=1))
    assert (pressed["colour"], pressed["reason"]) == ("red", "督办单第1号逾期未回复")
    assert pressed["reason_en"] == "supervision notice 1 unanswered past its answer-by"
    # The answer, even late, lifts the red.
    story.later(hours=1)
    story.do("answer_supervision", task, answer="已转运全部密接人员", meta=unit_meta(health))
    deltas.projections.catch_up()
    answered = deltas.changes("tasks")[-1]["task"]
    assert answered["colour"] == "green"
    assert answered["supervision"][0]["answer"] == "已转运全部密接人员"


def test_colour_is_a_pure_function_of_task_time_and_thresholds():
    task = {"state": "claimed", "due": "2026-03-02T08:00:00+08:00", "last_activity_at": "2026-03-01T08:00:00+08:00",
            "supervision": [], "refusal": None, "completed_at": None}
    at = START + timedelta(hours=1)
    assert colour_of(task, at, timedelta(hours=24), timedelta(hours=48))[0] == "yellow"  # due in 23 h
    assert colour_of(task, at, timedelta(hours=12), timedelta(hours=48))[0] == "green"
    assert colour_of(task, at, timedelta(hours=12), timedelta(minutes=30))[0] == "yellow"  # silent for 1 h
    assert colour_of(task, at, timedelta(hours=24), timedelta(hours=48)) == colour_of(copy.deepcopy(task), at, timedelta(hours=24), timedelta(hours=48))


def test_a_restarted_ledger_still_turns_red_at_due(story, open_projections, units):
    health, _ = units
    task = story.task(health, START + DAY)
    first = open_projections()
    first.catch_up()
    first.stop()
    # After a restart from the checkpoint, the clock alone still turns the task red.
    broker = Broker()
    deltas = Deltas(broker)
    deltas.projections = open_projections(broker=broker)
    assert deltas.projections.ledger.position == first.ledger.position
    (late,) = tick_at(story, deltas, START + DAY + timedelta(seconds=1))
    assert (late["id"], late["colour"]) == (task, "red")


def test_applying_the_same_fact_twice_is_refused_and_changes_nothing(story, units):
    health, _ = units
    task = story.task(health, START + DAY)
    story.do("claim_task", task, meta=unit_meta(health))
    story.do("report_progress", task, percent=50, meta=unit_meta(health))
    facts = story.facts()
    ledger = Ledger(24, 48)
    for fact in facts:
        ledger.apply(fact)
    before = (copy.deepcopy(ledger.state), ledger.position, ledger.at)
    for again in (facts[-1], facts[0]):
        with pytest.raises(AlreadyApplied):
            ledger.apply(again)
        assert (ledger.state, ledger.position, ledger.at) == before
    assert len(ledger.state["tasks"][task]["progress"]) == 1


def test_each_delta_shows_the_task_as_it_was_at_its_own_event(story, deltas, units):
    health, _ = units
    task = story.task(health, START + 5 * DAY)
    story.do("claim_task", task, meta=unit_meta(health))
    for percent in (10, 40, 70):
        story.later(hours=1)
        story.do("report_progress", task, percent=percent, meta=unit_meta(health))
    # All five task events are projected in one batch; each delta still shows its own moment.
    deltas.projections.catch_up()
    rows = [c["task"] for c in deltas.changes("tasks")]
    assert [r["percent"] for r in rows] == [0, 0, 10, 40, 70]
    assert [[p["percent"] for p in r["progress"]] for r in rows] == [[], [], [10], [10, 40], [10, 40, 70]]
    # A row read now is not changed by what happens later.
    before = row(deltas.projections, task)
    story.do("supervise_task", task, notice="请报告", answer_by=(story.now + DAY).isoformat())
    story.do("report_progress", task, percent=90, meta=unit_meta(health))
    deltas.projections.catch_up()
    assert (len(before["progress"]), before["supervision"]) == (3, [])
