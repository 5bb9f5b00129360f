"""What a unit's task desk needs from the API: its own tasks with their open 督办单 (GET /tasks?unit=me), units
named by name where an id is taken, and ledger rows that carry the version to send as If-Match."""
from __future__ import annotations

from conftest import World, assert_problem, due_in


def desk(world: World, who: str, position: int, unit: str = "me") -> dict:
    answer = world.as_unit[who].get("/tasks", unit=unit, min_position=position)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_unit_lists_the_tasks_it_leads_or_cooperates_on_with_their_open_supervision_notices(world: World) -> None:
    led = world.task(lead="dongshan", cooperating=("health",))
    helping = world.task(lead="shiqiao", cooperating=("dongshan",))
    others = world.task(lead="shiqiao", cooperating=())
    pressed = world.commander.ok(f"/tasks/{led}/supervise", {"notice": "请今日报告转运进展", "answer_by": due_in(12)})
    mine = desk(world, "dongshan", pressed["position"])
    assert mine["unit"]["id"] == world.units["dongshan"] and mine["unit"]["name"] == "dongshan"
    rows = {row["id"]: row for row in mine["tasks"]}
    assert set(rows) == {led, helping}, "tasks of other units are not on this desk"
    assert others not in rows
    assert rows[led]["role"] == "lead" and rows[helping]["role"] == "cooperating"
    assert [n["notice"] for n in rows[led]["open_supervision"]] == ["请今日报告转运进展"]
    assert rows[helping]["open_supervision"] == []
    assert {"colour", "due", "percent", "version"} <= set(rows[led])
    answered = world.as_unit["dongshan"].ok(f"/tasks/{led}/answer", {"answer": "已转运12人"})
    after = {row["id"]: row for row in desk(world, "dongshan", answered["position"])["tasks"]}
    assert after[led]["open_supervision"] == [] and after[led]["supervision"][0]["answer"] == "已转运12人"
    # The command center reads any unit's desk by the unit's name; `me` needs a unit's token.
    by_name = world.commander.get("/tasks", unit="shiqiao", min_position=answered["position"])
    assert {row["id"] for row in by_name.json()["tasks"]} == {helping, others}
    assert_problem(world.commander.get("/tasks", unit="me"), 422, "unit=me")
    assert_problem(world.commander.get("/tasks", unit="清河镇"), 422, "清河镇")
    assert_problem(world.anonymous.get("/tasks", unit="me"), 401)


def test_a_ledger_row_carries_the_version_a_desk_sends_as_if_match(world: World) -> None:
    task = world.task()
    dongshan = world.as_unit["dongshan"]
    claimed = dongshan.ok(f"/tasks/{task}/claim", {}, headers={"If-Match": "1"})
    [row] = [t for t in world.observer.get("/ledger", min_position=claimed["position"]).json()["tasks"] if t["id"] == task]
    assert row["version"] == claimed["version"] == 2
    [mine] = desk(world, "dongshan", claimed["position"])["tasks"]
    assert mine["version"] == claimed["version"]
    assert_problem(dongshan.post(f"/tasks/{task}/complete", {}, headers={"If-Match": "1"}), 409)
    done = dongshan.ok(f"/tasks/{task}/complete", {}, headers={"If-Match": str(row["version"])})
    assert done["version"] == 3


def test_a_unit_is_named_by_its_name_and_an_ambiguous_or_unknown_name_is_a_clear_422(world: World) -> None:
    by_name = world.commander.ok("/tasks", {"title": "集中隔离点转运", "lead": "dongshan", "cooperating": ["health"], "due": due_in(48)})
    [row] = [t for t in world.observer.get("/ledger", min_position=by_name["position"]).json()["tasks"] if t["id"] == by_name["id"]]
    assert row["lead"] == world.units["dongshan"] and row["cooperating"] == [world.units["health"]]
    team = world.commander.ok("/resources", {"kind": "sampling_team", "name": "东山采样队", "unit": "dongshan", "position": [104.25, 30.66]})
    assert team["id"]
    twin = world.commander.created("/units", {"name": "shiqiao", "kind": "township"})
    before = world.head()
    ambiguous = assert_problem(world.commander.post("/tasks", {"title": "x", "lead": "shiqiao", "due": due_in(48)}), 422,
                               "2 units are named", world.units["shiqiao"], twin)
    assert ambiguous["title"] != "Not found"
    assert_problem(world.commander.post("/tasks", {"title": "x", "lead": "dongshan", "cooperating": ["shiqiao"], "due": due_in(48)}),
                   422, "cooperating[0]", "2 units are named")
    unknown = assert_problem(world.commander.post("/tasks", {"title": "x", "lead": "清河镇", "due": due_in(48)}), 422, "清河镇", "GET /api/v1/units")
    assert unknown["title"] != "Not found"
    assert_problem(world.commander.get("/tasks", unit="shiqiao"), 422, "2 units are named")
    assert world.head() == before, "nothing is recorded for a refused name"
    # The id still chooses one of the twins.
    assert world.commander.ok("/tasks", {"title": "x", "lead": twin, "due": due_in(48)})["id"]
