from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from domain.errors import InvalidInput, NotPermitted, Refused
from domain.task import Task

HEALTH, POLICE, TOWNSHIP = "unit-health", "unit-police", "unit-township"


@pytest.fixture
def lead(as_):
    return as_("unit", HEALTH)


@pytest.fixture
def partner(as_):
    return as_("unit", POLICE)


@pytest.fixture
def claimed(task, lead):
    task.claim(lead)
    return task


def tomorrow(now):
    return (now + timedelta(days=1)).isoformat()


def test_a_task_is_assigned_with_a_lead_cooperating_units_and_a_due_time(commander, now):
    task = Task.assign(
        uuid4(), commander, title="封控区物资保障", lead=HEALTH, cooperating=[TOWNSHIP, POLICE, POLICE],
        due="2026-03-02T18:00:00+08:00", incident="i-1", zone="z-1",
    )
    assert (task.state, task.percent, task.lead, task.cooperating) == ("assigned", 0, HEALTH, [POLICE, TOWNSHIP])
    assert (task.due, task.incident, task.zone, task.notices, task.unanswered) == ("2026-03-02T18:00:00+08:00", "i-1", "z-1", 0, [])


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"due": "2026-03-01T07:59:00+08:00"}, "already past"),
        ({"due": "2026-03-01T08:00:00+08:00"}, "already past"),
        ({"due": "2026-03-02T08:00:00"}, "UTC offset"),
        ({"cooperating": [HEALTH]}, "lead unit cannot also be a cooperating unit"),
        ({"title": ""}, "title is required"),
        ({"title": "联系人13812345678"}, "mobile number"),
    ],
)
def test_a_task_with_a_past_due_time_a_lead_among_partners_or_no_title_is_refused(commander, now, fields, message):
    body = {"title": "转运", "lead": HEALTH, "due": tomorrow(now), **fields}
    with pytest.raises(InvalidInput, match=message):
        Task.assign(uuid4(), commander, **body)


@pytest.mark.parametrize("role, unit", [("unit", HEALTH), ("field", HEALTH), ("observer", None)])
def test_only_the_commander_assigns_tasks(as_, now, role, unit):
    with pytest.raises(NotPermitted, match="assigning a joint task"):
        Task.assign(uuid4(), as_(role, unit), title="转运", lead=HEALTH, due=tomorrow(now))


def test_the_lead_unit_claims_its_task(task, lead):
    task.claim(lead)
    assert task.state == "claimed"
    assert task.pending_events[-1].unit == HEALTH


@pytest.mark.parametrize("role, unit", [("unit", POLICE), ("commander", None), ("field", TOWNSHIP)])
def test_a_unit_other_than_the_lead_cannot_claim(task, as_, refused, role, unit):
    with refused(task, NotPermitted, "only the lead unit may claim"):
        task.claim(as_(role, unit))


def test_an_observer_of_the_lead_unit_cannot_claim(task, as_, refused):
    with refused(task, NotPermitted):
        task.claim(as_("observer", HEALTH))


def test_claiming_twice_is_refused(claimed, lead, refused):
    with refused(claimed, Refused, "is claimed; only an assigned task can be claimed"):
        claimed.claim(lead)


def test_progress_is_reported_by_the_lead_or_a_cooperating_unit(claimed, lead, partner):
    claimed.report_progress(lead, percent=30, note="已转运12人")
    claimed.report_progress(partner, percent=30)
    claimed.report_progress(partner, percent=55)
    assert claimed.percent == 55
    assert [e.percent for e in claimed.pending_events[2:]] == [30, 30, 55]


def test_progress_by_a_unit_outside_the_task_is_refused(claimed, as_, refused):
    with refused(claimed, NotPermitted, "lead unit or a cooperating unit"):
        claimed.report_progress(as_("unit", TOWNSHIP), percent=10)


def test_progress_on_an_unclaimed_task_is_refused(task, lead, refused):
    with refused(task, Refused, "is assigned; progress is reported on a claimed task"):
        task.report_progress(lead, percent=10)


def test_progress_never_goes_down(claimed, lead, refused):
    claimed.report_progress(lead, percent=60)
    with refused(claimed, Refused, "never goes down: the task is at 60%, not 59%"):
        claimed.report_progress(lead, percent=59)


@pytest.mark.parametrize("percent", [-1, 101, 50.5, "50", True, None])
def test_progress_outside_0_to_100_or_not_whole_is_refused(claimed, lead, refused, percent):
    with refused(claimed, InvalidInput, "0 to 100"):
        claimed.report_progress(lead, percent=percent)


def test_progress_notes_naming_a_person_are_refused(claimed, lead, refused):
    with refused(claimed, InvalidInput, "ID-card number"):
        claimed.report_progress(lead, percent=10, note="51010219900101123X")


def test_the_lead_completes_a_claimed_task(claimed, lead):
    claimed.report_progress(lead, percent=80)
    claimed.complete(lead)
    assert (claimed.state, claimed.percent) == ("completed", 100)


def test_completing_an_unclaimed_task_is_refused(task, lead, refused):
    with refused(task, Refused, "claim it before completing it"):
        task.complete(lead)


def test_a_cooperating_unit_cannot_complete_the_task(claimed, partner, refused):
    with refused(claimed, NotPermitted, "only the lead unit may complete"):
        claimed.complete(partner)


def test_a_completed_task_refuses_progress_claim_and_refusal(claimed, lead, refused):
    claimed.complete(lead)
    with refused(claimed, Refused, "is completed"):
        claimed.report_progress(lead, percent=100)
    with refused(claimed, Refused, "is completed"):
        claimed.claim(lead)
    with refused(claimed, Refused, "cannot be refused"):
        claimed.refuse(lead, reason="x")
    with refused(claimed, Refused, "is completed"):
        claimed.complete(lead)


@pytest.mark.parametrize("claim_first", [False, True])
def test_the_lead_refuses_an_assigned_or_claimed_task_with_a_reason(task, lead, claim_first):
    if claim_first:
        task.claim(lead)
    task.refuse(lead, reason="不属于本单位职责")
    assert task.state == "refused"
    assert task.pending_events[-1].reason == "不属于本单位职责"


def test_refusing_without_a_reason_or_by_a_partner_is_refused(task, lead, partner, refused):
    with refused(task, InvalidInput, "reason is required"):
        task.refuse(lead, reason=" ")
    with refused(task, NotPermitted, "only the lead unit may refuse"):
        task.refuse(partner, reason="x")


def test_a_refused_task_cannot_be_claimed_or_refused_again(task, lead, refused):
    task.refuse(lead, reason="x")
    with refused(task, Refused, "is refused"):
        task.claim(lead)
    with refused(task, Refused, "cannot be refused"):
        task.refuse(lead, reason="y")


def test_the_commander_supervises_an_open_task_and_the_lead_answers(task, commander, lead, now):
    task.supervise(commander, notice="请于今日内完成转运", answer_by=(now + timedelta(hours=4)).isoformat())
    task.supervise(commander, notice="再次督办", answer_by=(now + timedelta(hours=8)).isoformat())
    assert (task.notices, task.unanswered) == (2, [1, 2])
    task.answer_supervision(lead, answer="已安排两辆转运车")
    assert task.unanswered == [2]
    assert task.pending_events[-1].notice_no == 1
    task.answer_supervision(lead, answer="已完成")
    assert task.unanswered == []


def test_a_claimed_task_can_be_supervised(claimed, commander, now):
    claimed.supervise(commander, notice="加快进度", answer_by=(now + timedelta(hours=1)).isoformat())
    assert claimed.unanswered == [1]


@pytest.mark.parametrize("delta", [timedelta(0), timedelta(minutes=-1)])
def test_supervision_with_an_answer_by_not_in_the_future_is_refused(task, commander, now, refused, delta):
    with refused(task, InvalidInput, "already past"):
        task.supervise(commander, notice="督办", answer_by=(now + delta).isoformat())


@pytest.mark.parametrize("role, unit", [("unit", HEALTH), ("field", HEALTH), ("observer", None)])
def test_only_the_commander_supervises(task, as_, now, refused, role, unit):
    with refused(task, NotPermitted, "issuing a supervision notice"):
        task.supervise(as_(role, unit), notice="督办", answer_by=(now + timedelta(hours=1)).isoformat())


@pytest.mark.parametrize("end", ["complete", "refuse"])
def test_a_completed_or_refused_task_cannot_be_supervised(claimed, commander, lead, now, refused, end):
    claimed.complete(lead) if end == "complete" else claimed.refuse(lead, reason="x")
    with refused(claimed, Refused, "nothing left to supervise"):
        claimed.supervise(commander, notice="督办", answer_by=(now + timedelta(hours=1)).isoformat())


def test_answering_with_nothing_to_answer_is_refused(task, lead, refused):
    with refused(task, Refused, "no unanswered supervision notice"):
        task.answer_supervision(lead, answer="已处理")


def test_only_the_lead_answers_supervision(task, commander, partner, now, refused):
    task.supervise(commander, notice="督办", answer_by=(now + timedelta(hours=1)).isoformat())
    with refused(task, NotPermitted, "only the lead unit may answer"):
        task.answer_supervision(partner, answer="x")


def test_a_task_rebuilt_from_its_events_equals_the_live_one(claimed, commander, lead, now, rebuild):
    claimed.supervise(commander, notice="督办", answer_by=(now + timedelta(hours=1)).isoformat())
    claimed.report_progress(lead, percent=40)
    again = rebuild(claimed)
    assert (again.state, again.percent, again.unanswered, again.notices, again.version) == ("claimed", 40, [1], 1, 4)


@pytest.mark.parametrize("role", ["observer", "field"])
@pytest.mark.parametrize("action", ["claim", "progress", "complete", "refuse", "answer"])
def test_only_a_unit_token_acts_for_its_unit_on_a_task(task, commander, lead, as_, now, refused, role, action):
    # Set the task up so that the action would be allowed for the lead unit's own desk.
    if action in ("progress", "complete"):
        task.claim(lead)
    if action == "answer":
        task.supervise(commander, notice="督办", answer_by=(now + timedelta(hours=1)).isoformat())
    someone = as_(role, HEALTH)
    act = {
        "claim": lambda: task.claim(someone),
        "progress": lambda: task.report_progress(someone, percent=10),
        "complete": lambda: task.complete(someone),
        "refuse": lambda: task.refuse(someone, reason="x"),
        "answer": lambda: task.answer_supervision(someone, answer="x"),
    }[action]
    with refused(task, NotPermitted):
        act()


def test_a_task_carries_its_description_and_one_recorded_without_it_reads_as_none(commander, now):
    task = Task.assign(uuid4(), commander, title="封控区物资保障", lead=HEALTH, due=tomorrow(now),
                       description="每日两次配送生活物资，登记困难户需求")
    assert task.description == "每日两次配送生活物资，登记困难户需求"
    # A task assigned before descriptions existed: its event has no such field.
    event = task.collect_events()[0]
    del event.__dict__["description"]
    assert event.description is None and Task.TaskAssigned.mutate(event, None).description is None
    with pytest.raises(InvalidInput, match="description"):
        Task.assign(uuid4(), commander, title="t", lead=HEALTH, due=tomorrow(now), description="x" * 5001)
