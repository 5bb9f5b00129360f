"""Every command of the contract, once: what it acts on, who may send it, its fields, its route and verb, its summaries.

The writer's dispatch, the role table (`domain.permissions.MAY`), the routes' tests, the scenario verbs and schema
(generated: `python -m scenarios.vocabulary_files`), the HTTP drill target, drill export and the audit summaries
all read this table. Adding a command: its method on Coordination, and one entry here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

C, U, F, O = "commander", "unit", "field", "observer"


@dataclass(frozen=True)
class Field:
    """A field of the command as its sender gives it. `type` names what it holds in the contract's words
    (a scenario schema fragment per type: scenarios/vocabulary_files.py); a `unit` is a unit's id or its exact
    name, which the API turns into its id (`units` a list of them), a `unit_id` only an id. `in_scenario`: a scenario's `with:`
    may give it; `scenario_required` overrides `required` there."""

    name: str
    type: str
    required: bool = False
    in_scenario: bool = True
    scenario_required: bool | None = None

    @property
    def required_in_scenario(self) -> bool:
        return self.required if self.scenario_required is None else self.scenario_required


@dataclass(frozen=True)
class Route:
    """The command's HTTP route under /api/v1; a `{…}` in the path is the id of the thing it acts on."""

    path: str
    method: str = "POST"
    body: str = "json"  # "json or none": the body may be left out; "cap+xml": a CAP document, no JSON

    def to(self, target: str | None) -> str:
        return re.sub(r"\{[^}]*\}", str(target), self.path)


@dataclass(frozen=True)
class Summary:
    """One line for the audit trail, over the event's own fields."""

    event: str
    zh: str
    en: str


@dataclass(frozen=True)
class CommandSpec:
    """`thing`: the kind of aggregate it acts on. `targeted`: the command names that thing's id (the path's id, a
    scenario's target field); otherwise it creates one, or acts on a record of its own (`creates` is False).
    `roles`: empty for commands no role token sends (the CLI's, or an open route's). `summaries`: the events it
    records, its own first."""

    name: str
    thing: str
    roles: frozenset[str]
    targeted: bool = False
    creates: bool = False
    fields: tuple[Field, ...] = ()
    route: Route | None = None
    verb: str | None = None
    summaries: tuple[Summary, ...] = ()

    @property
    def event(self) -> str | None:
        return self.summaries[0].event if self.summaries else None


def _f(spec: str) -> tuple[Field, ...]:
    """`"name:type! other:type ~drill_only_optional:type ^not_in_scenario:type +required_in_scenario:type"`."""
    fields = []
    for word in spec.split():
        mark = word[0] if word[0] in "~^+" else ""
        name, _, kind = word.lstrip("~^+").partition(":")
        required = kind.endswith("!")
        fields.append(Field(name, kind.rstrip("!"), required, in_scenario=mark != "^",
                            scenario_required=True if mark == "+" else None))
    return tuple(fields)


def _s(*lines: tuple[str, str, str]) -> tuple[Summary, ...]:
    return tuple(Summary(*line) for line in lines)


def _cmd(name: str, thing: str, roles: set[str], fields: str = "", *, targeted: bool = False, creates: bool = False,
         path: str | None = None, body: str | None = None, verb: bool = False,
         summaries: tuple[Summary, ...] = ()) -> CommandSpec:
    given = _f(fields)
    body = body or ("json" if any(f.required for f in given) else "json or none")
    return CommandSpec(name, thing, frozenset(roles), targeted, creates, given,
                       Route(path, body=body) if path else None, name if verb else None, summaries)


STEP = "reason:text ^occurred_at:field_time"
ALERT_FIELDS = ("headline:text severity:severity urgency:urgency certainty:certainty description:text "
                "^instruction:text expires:moment")

COMMANDS: tuple[CommandSpec, ...] = (
    _cmd("register_unit", "unit", {C}, "name:text! kind:unit_kind! jurisdiction:jurisdiction_code", creates=True,
         path="/units", verb=True, summaries=_s(("UnitRegistered", "登记责任单位 {name}", "registered unit {name}"))),
    _cmd("retire_unit", "unit", {C}, "reason:text", targeted=True,
         summaries=_s(("UnitRetired", "撤销责任单位", "retired the unit"))),
    _cmd("declare_kind", "catalogue", {C}, "group:text! code:text! zh:text! en:text!",
         summaries=_s(("KindDeclared", "新增类别 {zh}", "declared the kind {en}"),
                      ("CatalogueOpened", "建立类别目录", "opened the kind catalogue"))),
    _cmd("draw_jurisdiction", "jurisdictions", {C}, "code:jurisdiction_code! name:text! level:text! "
         "parent:jurisdiction_code area:area!",
         summaries=_s(("JurisdictionDrawn", "划定辖区 {name}（{code}）", "drew jurisdiction {name} ({code})"),
                      ("JurisdictionsOpened", "建立辖区图", "opened the county's jurisdictions"))),
    _cmd("erase_jurisdiction", "jurisdictions", {C}, "code:jurisdiction_code!",
         summaries=_s(("JurisdictionErased", "撤销辖区 {code}", "erased jurisdiction {code}"))),
    _cmd("report_incident", "incident", {C, U, F}, "kind:incident_kind! title:text! location:point! "
         "jurisdiction:jurisdiction_code counts:counts occurred_at:field_time", creates=True, path="/incidents", verb=True,
         summaries=_s(("IncidentReported", "报告突发事件「{title}」", "reported incident “{title}”"))),
    _cmd("file_report", "incident", {C, U, F}, "new:counts! note:text position:point occurred_at:field_time",
         targeted=True, path="/incidents/{incident_id}/reports", verb=True,
         summaries=_s(("FieldReportFiled",
                       "现场报告：新增确诊{new[confirmed]} 疑似{new[suspected]} 无症状{new[asymptomatic]} 密接{new[close_contacts]}",
                       "field report: new confirmed {new[confirmed]}, suspected {new[suspected]}, "
                       "asymptomatic {new[asymptomatic]}, close contacts {new[close_contacts]}"))),
    _cmd("set_level", "incident", {C}, "level:level! reason:text!", targeted=True, path="/incidents/{incident_id}/level",
         verb=True, summaries=_s(("LevelSet", "响应级别调整为 {level} 级", "response level set to {level}"))),
    _cmd("close_incident", "incident", {C}, "reason:text!", targeted=True, path="/incidents/{incident_id}/close",
         verb=True, summaries=_s(("IncidentClosed", "事件关闭", "incident closed"))),
    _cmd("declare_zone", "zone", {C}, "incident:thing! kind:zone_kind! area:area! name:text", creates=True,
         path="/zones", verb=True,
         summaries=_s(("ZoneDeclared", "划定{kind}{named}", "declared a {kind} zone{named_en}"))),
    _cmd("downgrade_zone", "zone", {C}, "reason:text", targeted=True, path="/zones/{zone_id}/downgrade", verb=True,
         summaries=_s(("ZoneDowngraded", "区域由{previous}降为{kind}", "zone downgraded from {previous} to {kind}"))),
    _cmd("lift_zone", "zone", {C}, "reason:text", targeted=True, path="/zones/{zone_id}/lift", verb=True,
         summaries=_s(("ZoneLifted", "区域解除", "zone lifted"))),
    _cmd("register_resource", "resource", {C, U}, "kind:resource_kind! name:text! unit:unit! position:point! "
         "capacity:count quantity:quantity", creates=True, path="/resources", verb=True,
         summaries=_s(("ResourceRegistered", "登记应急资源 {name}", "registered resource {name}"))),
    _cmd("move_resource", "resource", {C, U, F}, "position:point! ^occurred_at:field_time", targeted=True,
         path="/resources/{resource_id}/position", verb=True,
         summaries=_s(("ResourceMoved", "位置更新 {position}", "position update {position}"))),
    _cmd("amend_resource", "resource", {C}, "kind:resource_kind! unit:unit_id! capacity:count quantity:quantity",
         targeted=True, summaries=_s(("ResourceAmended", "变更资源信息（类别、所属单位、能力或数量）",
                                      "changed the resource's kind, unit, capacity or quantity"))),
    _cmd("retire_resource", "resource", {C}, "reason:text", targeted=True,
         summaries=_s(("ResourceRetired", "资源退出登记", "resource retired"))),
    _cmd("request_dispatch", "dispatch", {C, U}, "incident:thing! kind:resource_kind! +quantity:quantity "
         "destination:point", creates=True, path="/dispatches", verb=True,
         summaries=_s(("DispatchRequested", "请求调度 {kind} ×{quantity}", "requested {quantity} × {kind}"))),
    _cmd("commit_dispatch", "dispatch", {C, U}, "resource:thing!", targeted=True, path="/dispatches/{dispatch_id}/commit",
         verb=True, summaries=_s(("DispatchCommitted", "调度已落实资源", "dispatch committed a resource"),
                                 ("ResourceAssigned", "资源被调派", "resource assigned to a dispatch"))),
    _cmd("depart", "dispatch", {C, U, F}, STEP, targeted=True, path="/dispatches/{dispatch_id}/depart", verb=True,
         summaries=_s(("DispatchDeparted", "资源出发", "resource departed"))),
    _cmd("arrive", "dispatch", {C, U, F}, STEP, targeted=True, path="/dispatches/{dispatch_id}/arrive", verb=True,
         summaries=_s(("DispatchArrived", "资源到达现场", "resource arrived on scene"))),
    _cmd("release", "dispatch", {C, U, F}, STEP, targeted=True, path="/dispatches/{dispatch_id}/release", verb=True,
         summaries=_s(("DispatchReleased", "调度结束，资源释放", "dispatch released"),
                      ("ResourceFreed", "资源释放", "resource freed"))),
    _cmd("cancel_dispatch", "dispatch", {C, U}, STEP, targeted=True, path="/dispatches/{dispatch_id}/cancel", verb=True,
         summaries=_s(("DispatchCancelled", "调度取消", "dispatch cancelled"))),
    _cmd("assign_task", "task", {C}, "title:text! lead:unit! due:moment! cooperating:units incident:thing zone:thing "
         "description:text", creates=True, path="/tasks", verb=True,
         summaries=_s(("TaskAssigned", "交办联防联控任务「{title}」", "assigned joint task “{title}”"))),
    _cmd("claim_task", "task", {U}, targeted=True, path="/tasks/{task_id}/claim", verb=True,
         summaries=_s(("TaskClaimed", "认领任务", "claimed the task"))),
    _cmd("report_progress", "task", {U}, "percent:percent! note:text", targeted=True, path="/tasks/{task_id}/progress",
         verb=True, summaries=_s(("ProgressReported", "报告进度 {percent}%", "reported progress {percent}%"))),
    _cmd("complete_task", "task", {U}, targeted=True, path="/tasks/{task_id}/complete", verb=True,
         summaries=_s(("TaskCompleted", "任务办结", "completed the task"))),
    _cmd("refuse_task", "task", {U}, "reason:text!", targeted=True, path="/tasks/{task_id}/refuse", verb=True,
         summaries=_s(("TaskRefused", "拒绝任务", "refused the task"))),
    _cmd("supervise_task", "task", {C}, "notice:text! answer_by:moment!", targeted=True,
         path="/tasks/{task_id}/supervise", verb=True,
         summaries=_s(("SupervisionIssued", "下发督办单第{notice_no}号", "issued supervision notice {notice_no}"))),
    _cmd("answer_supervision", "task", {U}, "answer:text!", targeted=True, path="/tasks/{task_id}/answer", verb=True,
         summaries=_s(("SupervisionAnswered", "回复督办单第{notice_no}号", "answered supervision notice {notice_no}"))),
    _cmd("issue_alert", "alert", {C}, "headline:text! severity:severity! urgency:urgency! certainty:certainty! "
         "area:area! description:text ^instruction:text incident:thing expires:moment ^status:alert_status",
         creates=True, path="/alerts", verb=True,
         summaries=_s(("AlertIssued", "发布预警「{headline}」", "issued alert “{headline}”"))),
    # An import records AlertIssued, AlertUpdated or AlertCancelled, whose lines are those of the commands below.
    _cmd("import_alert", "alert", {C}, creates=True, path="/alerts/cap", body="cap+xml"),
    _cmd("update_alert", "alert", {C}, ALERT_FIELDS, targeted=True, path="/alerts/{alert_id}/update", body="json",
         summaries=_s(("AlertUpdated", "更新预警", "updated an alert"))),
    _cmd("cancel_alert", "alert", {C}, "reason:text", targeted=True, path="/alerts/{alert_id}/cancel",
         summaries=_s(("AlertCancelled", "撤销预警", "cancelled an alert"))),
    _cmd("offer_enrolment", "enrolment", {C, U}, "role:role! unit:unit_id name:text", creates=True, path="/enrolments",
         summaries=_s(("EnrolmentOffered", "发放一次性登录码（{role}）{name}", "offered a one-time sign-in code ({role}) {name}"))),
    _cmd("withdraw_enrolment", "enrolment", {C}, targeted=True,
         summaries=_s(("EnrolmentWithdrawn", "收回一次性登录码", "withdrew an unused sign-in code"))),
    # Open without a token: the code is the credential.
    _cmd("redeem_enrolment", "token", set(), "code:text! device:text!", creates=True, path="/enrolments/redeem",
         summaries=_s(("EnrolmentRedeemed", "设备凭登录码登录", "a device signed in with its code"))),
    _cmd("issue_token", "token", set(), "secret_hash:text! role:role! unit:unit_id name:text", creates=True,
         summaries=_s(("TokenIssued", "签发{role}令牌 {name}", "issued a {role} token {name}"))),
    _cmd("revoke_token", "token", set(), targeted=True, summaries=_s(("TokenRevoked", "吊销令牌", "revoked a token"))),
    _cmd("skip_event", "event_skip", set(), "position:count! reason:text!", creates=True,
         summaries=_s(("EventSkipped", "跳过一条无法投影的事件", "skipped an event the read models cannot take"))),
)

# Recorded beside any command sent with an Idempotency-Key.
ALONGSIDE = _s(("KeyRecorded", "幂等键记录 {command}", "idempotency key recorded for {command}"))

BY_NAME: dict[str, CommandSpec] = {c.name: c for c in COMMANDS}
BY_VERB: dict[str, CommandSpec] = {c.verb: c for c in COMMANDS if c.verb}


def fields_of_type(*types: str) -> dict[str, tuple[str, ...]]:
    """Command → its fields of these types (only commands that have some)."""
    found = {c.name: tuple(f.name for f in c.fields if f.type in types) for c in COMMANDS}
    return {name: fields for name, fields in found.items() if fields}


def spec_of(name: str) -> CommandSpec | None:
    return BY_NAME.get(name)


def summaries() -> dict[str, tuple[str, str]]:
    """Event type → its (Chinese, English) line."""
    lines = [s for c in COMMANDS for s in c.summaries] + list(ALONGSIDE)
    return {s.event: (s.zh, s.en) for s in lines}
