"""Joint tasks over HTTP: assign, claim, progress, complete, refuse, supervise, answer; the ledger."""
from __future__ import annotations

from conftest import World, assert_problem, due_in


def ledger_row(world: World, task: str, position: int) -> dict:
    ledger = world.observer.get("/ledger", min_position=position).json()
    [row] = [t for t in ledger["tasks"] if t["id"] == task]
    return row


def test_a_task_is_assigned_claimed_progressed_and_completed(world: World) -> None:
    incident = world.incident()
    body = {"title": "密接转运", "lead": world.units["dongshan"], "due": due_in(72),
            "cooperating": [world.units["health"]], "incident": incident}
    assigned = world.commander.post("/tasks", body)
    assert assigned.status_code == 201
    task = assigned.json()["id"]
    dongshan, health = world.as_unit["dongshan"], world.as_unit["health"]
    assert dongshan.post(f"/tasks/{task}/claim").status_code == 200
    world.as_unit["health"].ok(f"/tasks/{task}/progress", {"percent": 40, "note": "已转运6人"})
    progressed = dongshan.ok(f"/tasks/{task}/progress", {"percent": 60})
    assert ledger_row(world, task, progressed["position"])["colour"] == "green"
    assert_problem(health.post(f"/tasks/{task}/progress", {"percent": 50}), 409, "never goes down")
    done = dongshan.ok(f"/tasks/{task}/complete", {})
    row = ledger_row(world, task, done["position"])
    assert row["colour"] == "green" and row["state"] == "completed"
    assert_problem(dongshan.post(f"/tasks/{task}/claim"), 409, "completed")


def test_a_refused_task_is_red_with_its_reason(world: World) -> None:
    task = world.task()
    refused = world.as_unit["dongshan"].ok(f"/tasks/{task}/refuse", {"reason": "不属本镇职责"})
    row = ledger_row(world, task, refused["position"])
    assert row["colour"] == "red" and "不属本镇职责" in str(row)
    assert_problem(world.as_unit["dongshan"].post(f"/tasks/{task}/refuse", {"reason": "again"}), 409, "refused")


def test_a_task_due_soon_is_yellow_and_why(world: World) -> None:
    task = world.task(due_hours=2)
    row = ledger_row(world, task, world.head())
    assert row["colour"] == "yellow" and row["reason"] and row["reason_en"]


def test_supervision_is_issued_and_answered_once(world: World) -> None:
    task = world.task()
    world.commander.ok(f"/tasks/{task}/supervise", {"notice": "请于明日前报告进展", "answer_by": due_in(24)})
    dongshan = world.as_unit["dongshan"]
    assert dongshan.post(f"/tasks/{task}/answer", {"answer": "已部署"}).status_code == 200
    assert_problem(dongshan.post(f"/tasks/{task}/answer", {"answer": "again"}), 409, "no unanswered")
    assert_problem(world.commander.post(f"/tasks/{task}/supervise", {"notice": "x", "answer_by": due_in(-1)}), 422, "answer_by")
    assert_problem(world.commander.post(f"/tasks/{task}/supervise", {"notice": "x"}), 422, "answer_by")


def test_bad_tasks_are_422_naming_the_field(world: World) -> None:
    missing = "00000000-0000-0000-0000-000000000000"
    good = {"title": "联合排查", "lead": world.units["dongshan"], "due": due_in(48)}
    cases = [
        ({**good, "due": due_in(-1)}, "due"),
        ({**good, "due": "2026-03-01T08:00:00"}, "due"),
        ({**good, "due": "next week"}, "due"),
        ({**good, "lead": missing}, "lead"),
        ({**good, "cooperating": [missing]}, "cooperating"),
        ({**good, "cooperating": [world.units["dongshan"]]}, "lead unit cannot also be"),
        ({**good, "incident": missing}, "incident"),
        ({**good, "zone": missing}, "zone"),
        ({**good, "cooperating": "health"}, "cooperating"),
        ({**good, "title": ""}, "title"),
    ]
    before = world.head()
    failed = []
    for body, field in cases:
        try:
            assert_problem(world.commander.post("/tasks", body), 422, field)
        except AssertionError as error:
            failed.append(f"{field}: {error}")
    assert failed == []
    task = world.task()
    assert_problem(world.as_unit["dongshan"].post(f"/tasks/{task}/progress", {"percent": 101}), 422, "percent")
    assert_problem(world.as_unit["dongshan"].post(f"/tasks/{task}/refuse", {}), 422, "reason")
    assert_problem(world.as_unit["dongshan"].post(f"/tasks/{missing}/claim"), 404, missing)
    assert world.head() == before + 1


def test_progress_on_an_unclaimed_task_is_refused(world: World) -> None:
    task = world.task()
    assert_problem(world.as_unit["dongshan"].post(f"/tasks/{task}/progress", {"percent": 10}), 409, "claimed")
    assert_problem(world.as_unit["dongshan"].post(f"/tasks/{task}/complete"), 409, "claim it")


def test_a_task_is_assigned_with_a_description_that_the_ledger_shows(world: World) -> None:
    task = world.task(description="每日两次配送生活物资")
    assigned = world.commander.ok(f"/tasks/{task}/supervise", {"notice": "请今日落实", "answer_by": due_in(3)})
    row = next(t for t in world.observer.get("/ledger", min_position=assigned["position"]).json()["tasks"] if t["id"] == task)
    assert row["description"] == "每日两次配送生活物资"
    plain = world.task()
    rows = world.observer.get("/ledger", min_position=world.head()).json()["tasks"]
    assert next(t for t in rows if t["id"] == plain)["description"] is None
