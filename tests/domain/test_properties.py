"""Random command sequences never break the aggregates' invariants."""
from __future__ import annotations

import copy
import tempfile
from pathlib import Path
from datetime import datetime, timedelta, timezone
from uuid import UUID, uuid4

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from domain.application import Coordination
from domain.base import Meta
from domain.commands import Command
from domain.dispatch import Dispatch
from domain.errors import DomainError
from domain.application.eventstore import store_env
from domain.incident import Incident
from domain.resource import Resource
from domain.application.settings import Settings
from domain.task import Task
from domain.values import Counts, Level
from domain.application.writer import execute
from domain.zone import Zone

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=timezone(timedelta(hours=8)))
SQUARE = {"type": "Polygon", "coordinates": [[[104.0, 30.6], [104.1, 30.6], [104.1, 30.7], [104.0, 30.6]]]}
HEALTH, POLICE, TOWNSHIP = "unit-health", "unit-police", "unit-township"
# Keep Hypothesis's caches out of the project tree; no example database: every run is fresh.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "lianfang-tests-hypothesis")
FAST = settings(max_examples=50, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

ZONE_STEPS = {("sealed", "controlled"), ("controlled", "prevention")}
DISPATCH_STEPS = {("requested", "committed"), ("committed", "en_route"), ("en_route", "on_scene"),
                  ("on_scene", "released"), ("requested", "cancelled"), ("committed", "cancelled")}
TASK_STEPS = {("assigned", "claimed"), ("assigned", "refused"), ("claimed", "completed"), ("claimed", "refused")}

# Mostly people allowed to act, sometimes anyone: refusals are tested, but most commands should land.
roles = st.sampled_from([("commander", None)] * 6 + [("unit", HEALTH), ("unit", POLICE), ("field", HEALTH),
                         ("field", TOWNSHIP), ("observer", None)])


def meta(role_unit: tuple[str, str | None], at: datetime = NOW) -> Meta:
    role, unit = role_unit
    return Meta(actor=f"{role}:{unit}", role=role, unit=unit, at=at)


def state_of(*things) -> list:
    return [copy.deepcopy({k: v for k, v in vars(t).items() if k != "_pending_events"}) for t in things] + [
        len(t.pending_events) for t in things
    ]


def attempt(act, *things) -> bool:
    """Run one command; a refusal must leave every thing exactly as it was. True if it was accepted."""
    before = state_of(*things)
    try:
        act()
    except DomainError:
        assert state_of(*things) == before
        return False
    return True


def check_history(*things) -> None:
    """Versions run 1..n without gaps, and replaying the events gives the same thing."""
    for thing in things:
        events = thing.pending_events
        assert [e.originator_version for e in events] == list(range(1, thing.version + 1))
        rebuilt = None
        for event in events:
            rebuilt = event.mutate(rebuilt)
        assert state_of(rebuilt)[0] == state_of(thing)[0]


# -- incidents -----------------------------------------------------------------------------------------

count_names = st.sampled_from(["confirmed", "suspected", "asymptomatic", "close_contacts"])
counts = st.one_of(
    st.dictionaries(count_names, st.integers(0, 50), min_size=1, max_size=4),
    st.dictionaries(count_names, st.integers(0, 50), min_size=1, max_size=4),
    st.dictionaries(count_names, st.one_of(st.integers(-5, -1), st.just(True), st.floats(0, 3), st.just(10**9)), max_size=4),
)
incident_commands = st.lists(
    st.one_of(
        *[st.tuples(st.just("report"), roles, counts, st.sampled_from([None, None, "复核", "13812345678"]))] * 5,
        *[st.tuples(st.just("level"), roles, st.sampled_from(["I", "II", "III", "IV", "V"]), st.sampled_from([None, "升级", "升级"]))] * 2,
        st.tuples(st.just("close"), roles, st.sampled_from([None, "结束"])),
    ),
    max_size=25,
)


@FAST
@given(incident_commands)
def test_random_commands_on_an_incident_keep_counts_whole_and_closure_final(commands):
    incident = Incident.report(uuid4(), meta(("commander", None)), kind="cluster", title="t", location=[104, 30])
    expected = Counts()
    for name, who, *args in commands:
        was_closed, version = incident.closed, incident.version
        if name == "report":
            accepted = attempt(lambda: incident.file_report(meta(who), new=args[0], note=args[1]), incident)
            if accepted:
                expected = expected + Counts(**args[0])
        elif name == "level":
            accepted = attempt(lambda: incident.set_level(meta(who), level=args[0], reason=args[1]), incident)
        else:
            accepted = attempt(lambda: incident.close(meta(who), reason=args[0]), incident)
        assert incident.version == version + accepted
        assert not (was_closed and accepted), "a closed incident accepted a command"
        assert incident.counts == expected
        assert all(0 <= c for c in incident.counts.as_tuple())
        assert incident.level is None or isinstance(incident.level, Level)
    check_history(incident)


# -- zones ------------------------------------------------------------------------------------------------

zone_commands = st.lists(st.tuples(st.sampled_from(["downgrade"] * 3 + ["lift"]), roles), max_size=10)


@FAST
@given(st.sampled_from(["sealed", "controlled", "prevention"]), zone_commands)
def test_random_commands_on_a_zone_only_step_down_and_lifting_is_final(kind, commands):
    commander = meta(("commander", None))
    incident = Incident.report(uuid4(), commander, kind="cluster", title="t", location=[104, 30])
    zone = Zone.declare(uuid4(), commander, incident, kind=kind, area=SQUARE)
    for name, who in commands:
        before, was_lifted = zone.kind, zone.lifted
        accepted = attempt(lambda: getattr(zone, name)(meta(who)), zone)
        assert not (was_lifted and accepted), "a lifted zone accepted a command"
        if accepted and name == "downgrade":
            assert (before, zone.kind) in ZONE_STEPS
        else:
            assert zone.kind == before
        assert zone.lifted == (was_lifted or (accepted and name == "lift"))
    check_history(zone)


# -- dispatches and resources ---------------------------------------------------------------------------------

dispatch_commands = st.lists(
    st.tuples(st.sampled_from(["commit", "depart", "arrive", "release", "cancel"]), st.integers(0, 2), st.integers(0, 2), roles),
    max_size=25,
)


@FAST
@given(dispatch_commands)
def test_random_commands_on_dispatches_move_states_forward_and_hold_each_resource_once(commands):
    commander = meta(("commander", None))
    incident = Incident.report(uuid4(), commander, kind="cluster", title="t", location=[104, 30])
    resources = [
        Resource.register(uuid4(), commander, kind="ambulance", name="a1", unit=HEALTH, position=[104, 30]),
        Resource.register(uuid4(), commander, kind="ambulance", name="a2", unit=POLICE, position=[104, 30]),
        Resource.register(uuid4(), commander, kind="sampling_team", name="s1", unit=HEALTH, position=[104, 30]),
    ]
    dispatches = [Dispatch.request(uuid4(), commander, incident, kind="ambulance") for _ in range(3)]
    by_id = {str(r.id): r for r in resources}
    for step, d, r, who in commands:
        dispatch = dispatches[d]
        # As the application does: commit names a resource, later steps use the dispatch's own.
        resource = resources[r] if step == "commit" else by_id.get(dispatch.resource)
        if step in ("depart", "arrive", "release") and resource is None:
            continue
        before = dispatch.state
        if step == "cancel":
            act = lambda: dispatch.cancel(meta(who), resource)  # noqa: E731
        else:
            act = lambda: getattr(dispatch, step)(meta(who), resource)  # noqa: E731
        accepted = attempt(act, *dispatches, *resources)
        assert (before, dispatch.state) in DISPATCH_STEPS if accepted else dispatch.state == before
        active = {str(x.id): x for x in dispatches if x.state in ("committed", "en_route", "on_scene")}
        for x in active.values():
            assert by_id[x.resource].dispatch == str(x.id)
            assert by_id[x.resource].kind == x.kind
        for held in resources:
            assert held.dispatch is None or held.dispatch in active
    check_history(*dispatches, *resources)


# -- tasks --------------------------------------------------------------------------------------------------------

task_actors = st.sampled_from([("unit", HEALTH)] * 4 + [("unit", POLICE)] * 2 + [("unit", TOWNSHIP), ("commander", None), ("field", HEALTH)])
task_commands = st.lists(
    st.one_of(
        st.tuples(st.just("claim"), task_actors),
        st.tuples(st.just("progress"), task_actors, st.one_of(st.integers(-10, 110), st.just(50.5))),
        st.tuples(st.just("progress"), task_actors, st.integers(0, 100)),
        st.tuples(st.just("complete"), task_actors),
        st.tuples(st.just("refuse"), task_actors, st.sampled_from([None, "不属本单位"])),
        st.tuples(st.just("supervise"), st.sampled_from([("commander", None)] * 3 + [("unit", HEALTH)]), st.sampled_from([-1, 2, 2])),
        st.tuples(st.just("answer"), task_actors),
    ),
    max_size=25,
)


@FAST
@given(task_commands)
def test_random_commands_on_a_task_keep_progress_rising_and_states_forward(commands):
    task = Task.assign(uuid4(), meta(("commander", None)), title="转运", lead=HEALTH, cooperating=[POLICE],
                       due=(NOW + timedelta(days=1)).isoformat())
    for name, who, *args in commands:
        m = meta(who)
        before = (task.state, task.percent, task.notices, list(task.unanswered))
        act = {
            "claim": lambda: task.claim(m),
            "progress": lambda: task.report_progress(m, percent=args[0]),
            "complete": lambda: task.complete(m),
            "refuse": lambda: task.refuse(m, reason=args[0]),
            "supervise": lambda: task.supervise(m, notice="督办", answer_by=(NOW + timedelta(hours=args[0])).isoformat()),
            "answer": lambda: task.answer_supervision(m, answer="已办"),
        }[name]
        attempt(act, task)
        state, percent, notices, unanswered = before
        assert task.state == state or (state, task.state) in TASK_STEPS
        assert percent <= task.percent <= 100
        assert task.state != "completed" or task.percent == 100
        assert notices <= task.notices
        assert task.unanswered == sorted(task.unanswered)
        assert set(task.unanswered) <= set(range(1, task.notices + 1))
    check_history(task)


# -- the application on SQLite ------------------------------------------------------------------------------------------

app_commands = st.lists(
    st.one_of(
        st.tuples(st.just("file_report"), st.just("incident"), st.fixed_dictionaries({"new": counts})),
        st.tuples(st.just("set_level"), st.just("incident"), st.fixed_dictionaries({"level": st.sampled_from(["I", "II", "V"]), "reason": st.just("r")})),
        st.tuples(st.just("close_incident"), st.just("incident"), st.just({"reason": "结束"})),
        st.tuples(st.just("downgrade_zone"), st.just("zone"), st.just({})),
        st.tuples(st.just("lift_zone"), st.just("zone"), st.just({})),
        st.tuples(st.sampled_from(["commit_dispatch"]), st.just("dispatch"), st.just({"resource": "resource"})),
        st.tuples(st.sampled_from(["depart", "arrive", "release", "cancel_dispatch"]), st.just("dispatch"), st.just({})),
        st.tuples(st.just("request_dispatch"), st.none(), st.just({"incident": "incident", "kind": "ambulance"})),
        st.tuples(st.just("claim_task"), st.just("task"), st.just({})),
        st.tuples(st.just("report_progress"), st.just("task"), st.fixed_dictionaries({"percent": st.integers(-5, 105)})),
        st.tuples(st.just("complete_task"), st.just("task"), st.just({})),
        st.tuples(st.just("file_report"), st.just("zone"), st.just({"new": {"confirmed": 1}})),
    ),
    max_size=12,
)


@settings(max_examples=10, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(app_commands, st.lists(st.sampled_from([None, None, None, 2, 3]), min_size=12, max_size=12))
def test_random_commands_through_the_application_keep_the_log_gapless_and_refusals_silent(commands, versions):
    with tempfile.TemporaryDirectory() as data_dir:
        app = Coordination(store_env(Settings(data_dir=data_dir)))
        commander = Meta(actor="cmd", role="commander")

        def run(name, target=None, m=commander, version=None, /, **args):
            return execute(app, Command(name, m, args, target=target, expected_version=version))

        unit = str(run("register_unit", name="县卫健局", kind="department").id)
        lead = Meta(actor="desk", role="unit", unit=unit)
        ids = {"incident": str(run("report_incident", kind="cluster", title="t", location=[104, 30]).id)}
        ids["zone"] = str(run("declare_zone", incident=ids["incident"], kind="sealed", area=SQUARE).id)
        ids["resource"] = str(run("register_resource", kind="ambulance", name="a", unit=unit, position=[104, 30]).id)
        ids["dispatch"] = str(run("request_dispatch", incident=ids["incident"], kind="ambulance").id)
        ids["task"] = str(run("assign_task", title="t", lead=unit, due=(datetime.now(timezone.utc) + timedelta(days=1)).isoformat()).id)
        for (name, target, args), version in zip(commands, versions):
            args = {k: ids.get(v, v) if isinstance(v, str) else v for k, v in args.items()}
            who = lead if name in ("claim_task", "report_progress", "complete_task") else commander
            before = app.recorder.max_notification_id()
            try:
                receipt = run(name, ids.get(target), who, version, **args)
            except DomainError:
                assert app.recorder.max_notification_id() == before
            else:
                assert receipt.position is not None and receipt.position > before
        # The log has no gaps, every thing's versions run 1..n, and reopened things obey their invariants.
        notifications = app.recorder.select_notifications(1, 10_000)
        assert [n.id for n in notifications] == list(range(1, len(notifications) + 1))
        versions_of: dict = {}
        for n in notifications:
            versions_of.setdefault(n.originator_id, []).append(n.originator_version)
        assert all(v == list(range(1, len(v) + 1)) for v in versions_of.values())
        reopened = Coordination(store_env(Settings(data_dir=data_dir)))
        incident = reopened.repository.get(UUID(ids["incident"]))
        assert all(c >= 0 for c in incident.counts.as_tuple())
        dispatch, resource = reopened.repository.get(UUID(ids["dispatch"])), reopened.repository.get(UUID(ids["resource"]))
        assert (resource.dispatch == ids["dispatch"]) == (dispatch.state in ("committed", "en_route", "on_scene"))
        assert 0 <= reopened.repository.get(UUID(ids["task"])).percent <= 100
