"""One line per event for the audit trail and the activity stream, in Chinese and English."""
from __future__ import annotations

from typing import Any

from domain.terms import ZONE_KINDS, chinese

# type → (Chinese, English) templates over the event's own fields.
TEMPLATES: dict[str, tuple[str, str]] = {
    "UnitRegistered": ("登记责任单位 {name}", "registered unit {name}"),
    "TokenIssued": ("签发{role}令牌 {name}", "issued a {role} token {name}"),
    "UnitRetired": ("撤销责任单位", "retired the unit"),
    "TokenRevoked": ("吊销令牌", "revoked a token"),
    "EnrolmentOffered": ("发放一次性登录码（{role}）{name}", "offered a one-time sign-in code ({role}) {name}"),
    "EnrolmentRedeemed": ("设备凭登录码登录", "a device signed in with its code"),
    "CatalogueOpened": ("建立类别目录", "opened the kind catalogue"),
    "KindDeclared": ("新增类别 {zh}", "declared the kind {en}"),
    "EventSkipped": ("跳过一条无法投影的事件", "skipped an event the read models cannot take"),
    "EnrolmentWithdrawn": ("收回一次性登录码", "withdrew an unused sign-in code"),
    "JurisdictionsOpened": ("建立辖区图", "opened the county's jurisdictions"),
    "JurisdictionDrawn": ("划定辖区 {name}（{code}）", "drew jurisdiction {name} ({code})"),
    "JurisdictionErased": ("撤销辖区 {code}", "erased jurisdiction {code}"),
    "IncidentReported": ("报告突发事件「{title}」", "reported incident “{title}”"),
    "FieldReportFiled": ("现场报告：新增确诊{new[confirmed]} 疑似{new[suspected]} 无症状{new[asymptomatic]} 密接{new[close_contacts]}",
                         "field report: new confirmed {new[confirmed]}, suspected {new[suspected]}, asymptomatic {new[asymptomatic]}, close contacts {new[close_contacts]}"),
    "LevelSet": ("响应级别调整为 {level} 级", "response level set to {level}"),
    "IncidentClosed": ("事件关闭", "incident closed"),
    "ZoneDeclared": ("划定{kind}{named}", "declared a {kind} zone{named_en}"),
    "ZoneDowngraded": ("区域由{previous}降为{kind}", "zone downgraded from {previous} to {kind}"),
    "ZoneLifted": ("区域解除", "zone lifted"),
    "ResourceRegistered": ("登记应急资源 {name}", "registered resource {name}"),
    "ResourceMoved": ("位置更新 {position}", "position update {position}"),
    "ResourceAmended": ("变更资源信息（类别、所属单位、能力或数量）", "changed the resource's kind, unit, capacity or quantity"),
    "ResourceRetired": ("资源退出登记", "resource retired"),
    "ResourceAssigned": ("资源被调派", "resource assigned to a dispatch"),
    "ResourceFreed": ("资源释放", "resource freed"),
    "DispatchRequested": ("请求调度 {kind} ×{quantity}", "requested {quantity} × {kind}"),
    "DispatchCommitted": ("调度已落实资源", "dispatch committed a resource"),
    "DispatchDeparted": ("资源出发", "resource departed"),
    "DispatchArrived": ("资源到达现场", "resource arrived on scene"),
    "DispatchReleased": ("调度结束，资源释放", "dispatch released"),
    "DispatchCancelled": ("调度取消", "dispatch cancelled"),
    "TaskAssigned": ("交办联防联控任务「{title}」", "assigned joint task “{title}”"),
    "TaskClaimed": ("认领任务", "claimed the task"),
    "ProgressReported": ("报告进度 {percent}%", "reported progress {percent}%"),
    "TaskCompleted": ("任务办结", "completed the task"),
    "TaskRefused": ("拒绝任务", "refused the task"),
    "SupervisionIssued": ("下发督办单第{notice_no}号", "issued supervision notice {notice_no}"),
    "SupervisionAnswered": ("回复督办单第{notice_no}号", "answered supervision notice {notice_no}"),
    "AlertIssued": ("发布预警「{headline}」", "issued alert “{headline}”"),
    "AlertUpdated": ("更新预警", "updated an alert"),
    "AlertCancelled": ("撤销预警", "cancelled an alert"),
    "KeyRecorded": ("幂等键记录 {command}", "idempotency key recorded for {command}"),
}
ZONE_NAMES = chinese(ZONE_KINDS)
ROLE_NAMES = {"commander": "指挥员", "unit": "责任单位", "field": "现场工作组", "observer": "观察员"}
REASON_FIELDS = ("reason", "refusal", "note", "notice", "answer")


def summarize(event_type: str, data: dict[str, Any]) -> tuple[str, str, str | None]:
    zh, en = TEMPLATES.get(event_type, (event_type, event_type))
    values = {**{k: ("" if v is None else v) for k, v in data.items()}}
    if "new" in values and isinstance(values["new"], dict):
        values["new"] = {k: values["new"].get(k, 0) for k in ("confirmed", "suspected", "asymptomatic", "close_contacts")}
    if event_type == "ZoneDeclared":
        values["named"] = f"「{data['name']}」" if data.get("name") else ""
        values["named_en"] = f" “{data['name']}”" if data.get("name") else ""
    zh_values = dict(values)
    if zh_values.get("role") in ROLE_NAMES:
        zh_values["role"] = ROLE_NAMES[zh_values["role"]]
    for key in ("kind", "previous"):
        if key in zh_values and zh_values[key] in ZONE_NAMES:
            zh_values[key] = ZONE_NAMES[zh_values[key]]
    try:
        zh, en = zh.format(**zh_values), en.format(**values)
    except (KeyError, IndexError, TypeError, ValueError):
        pass
    reason = next((str(data[k]) for k in REASON_FIELDS if data.get(k)), None)
    return zh, en, reason
