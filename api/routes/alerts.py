"""Public alerts (预警): issue, update, cancel, list; CAP 1.2 export and import."""
from __future__ import annotations

import asyncio
import copy
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID, uuid4

import orjson
from eventsourcing.application import AggregateNotFoundError
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import Field

from api import bodies as b
from api.cap import DEFAULT_MAX_BYTES, CapError, from_cap_xml, to_cap_xml
from api.cap.alerts import alert_to_cap, import_fields
from api.deps import ActorDep, RuntimeDep, caught_up, submit
from api.problems import Problem
from api.routes.common import ThingId, view
from domain.alert import Alert, AlreadyImported
from domain.base import Meta
from domain.application.eventstore import position_of
from domain.errors import InvalidInput
from domain.policy import check_allowed

router = APIRouter(prefix="/alerts", tags=["alerts"])


CAP_MEDIA_TYPES = ("application/cap+xml", "application/xml", "text/xml")
CAP_XML = "application/xml; charset=utf-8"
MAX_CAP_BYTES = DEFAULT_MAX_BYTES
INFO = "/alert/info[1]"
# Where in a CAP document each field the Alert aggregate refuses came from, to name it in a 422:
# the aggregate's message starts with the field's name (first match wins).
CAP_ELEMENTS = (
    ("headline", f"{INFO}/headline"), ("severity", f"{INFO}/severity"), ("urgency", f"{INFO}/urgency"),
    ("certainty", f"{INFO}/certainty"), ("event", f"{INFO}/event"), ("language", f"{INFO}/language"),
    ("category", f"{INFO}/category"), ("response_type", f"{INFO}/responseType"),
    ("description", f"{INFO}/description"), ("instruction", f"{INFO}/instruction"), ("expires", f"{INFO}/expires"),
    ("area_desc", f"{INFO}/area/areaDesc"), ("area", f"{INFO}/area"), ("sender", "/alert/sender"),
    ("identifier", "/alert/identifier"), ("sent", "/alert/sent"), ("status", "/alert/status"),
    ("scope", "/alert/scope"), ("msg_type", "/alert/msgType"), ("restriction", "/alert/restriction"),
    ("a Restricted alert", "/alert/restriction"), ("addresses", "/alert/addresses"),
    ("a Private alert", "/alert/addresses"), ("reference", "/alert/references"),
    ("the sender of a reference", "/alert/references"), ("the identifier of a reference", "/alert/references"),
    ("the sent time of a reference", "/alert/references"), ("an Update must", "/alert/references"),
)


def cap_element_of(detail: str) -> str | None:
    return next((element for prefix, element in CAP_ELEMENTS if detail.startswith(prefix)), None)


class UpdateAlert(b.Body):
    """What an update may change; each change is published as a CAP Update message."""

    headline: Annotated[str, Field(min_length=1, max_length=160)] | None = None
    severity: Literal["Extreme", "Severe", "Moderate", "Minor", "Unknown"] | None = None
    urgency: Literal["Immediate", "Expected", "Future", "Past", "Unknown"] | None = None
    certainty: Literal["Observed", "Likely", "Possible", "Unlikely", "Unknown"] | None = None
    description: Annotated[str, Field(max_length=5000)] | None = None
    instruction: Annotated[str, Field(max_length=5000)] | None = None
    expires: b.Moment | None = None


class CancelAlert(b.Body):
    reason: b.Reason | None = None


@router.post("", status_code=201, response_model=b.Created)
async def issue_alert(body: b.IssueAlert, request: Request, rt: RuntimeDep, actor: ActorDep) -> Any:
    """Issue a public alert (CAP 1.2 fields); `GET /alerts/{id}.cap.xml` gives it as CAP 1.2.
    In a drill store the alert is status Exercise."""
    return await submit(request, rt, actor, "issue_alert", body, created=True,
                        extra={"sender": rt.settings.cap_sender})


@router.post(
    "/preview", response_class=Response,
    responses={200: {"content": {"application/xml": {}}, "description": "the CAP 1.2 message the alert would go out as"}},
)
async def preview_alert(body: b.IssueAlert, rt: RuntimeDep, actor: ActorDep) -> Response:
    """The CAP 1.2 message that issuing this alert would send, checked as issuing checks it; records nothing.
    The console shows it before the commander chooses to issue."""
    check_allowed(actor, "issue_alert")
    fields = body.model_dump(exclude_unset=True, mode="json")
    fields.pop("expected_version", None)

    def draft() -> bytes:
        meta = Meta(actor=actor.id, role=actor.role, unit=actor.unit, actor_name=actor.name,
                    drill_run=(rt.drill or {}).get("run"), at=rt.app.clock.now())
        alert = Alert.issue(uuid4(), meta, sender=rt.settings.cap_sender, **fields)
        return to_cap_xml(alert_to_cap(alert, rt.settings.cap_sender))

    return Response(await asyncio.to_thread(draft), media_type=CAP_XML)


@router.get("")
async def list_alerts(
    rt: RuntimeDep, actor: ActorDep, at: datetime | None = None,
    min_position: Annotated[int | None, Query(ge=0)] = None,
) -> dict[str, Any]:
    """Every alert (cancelled ones flagged), with the `position` the list is current to; `?at=` as for the map."""
    check_allowed(actor, "read")
    await caught_up(rt, min_position)

    def read(position: int, situation: Any, ledger: Any) -> dict[str, Any]:
        alerts = [{**copy.deepcopy(a), "cap": f"/api/v1/alerts/{a['id']}.cap.xml"}
                  for a in situation.state["alerts"].values()]
        return {"position": position, "alerts": alerts}

    return await view(rt, at, read)


@router.get(
    "/{alert_id}.cap.xml",
    response_class=Response,
    responses={200: {"content": {"application/xml": {}}, "description": "the alert's latest CAP 1.2 message"}},
)
async def alert_as_cap(alert_id: ThingId, rt: RuntimeDep, actor: ActorDep) -> Response:
    """The alert as a CAP 1.2 document: msgType Alert as issued, Update after a change, Cancel after a cancel
    (both referencing the earlier messages); status Exercise for a drill's alerts."""
    check_allowed(actor, "read")

    def export() -> tuple[bytes, int]:
        alert = load_alert(rt, alert_id)
        return to_cap_xml(alert_to_cap(alert, rt.settings.cap_sender)), alert.version

    xml, version = await asyncio.to_thread(export)
    return Response(xml, media_type=CAP_XML, headers={"ETag": f'"{version}"'})


def load_alert(rt: Any, alert_id: str) -> Alert:
    missing = Problem(404, "Not found", f"no alert with id {alert_id}")
    try:
        uuid = UUID(alert_id)
    except ValueError:
        raise missing from None
    try:
        found = rt.app.repository.get(uuid)
    except AggregateNotFoundError:
        raise missing from None
    if not isinstance(found, Alert):
        raise missing
    return found


@router.post("/{alert_id}/update", response_model=b.Created)
async def update_alert(alert_id: ThingId, body: UpdateAlert, request: Request, rt: RuntimeDep, actor: ActorDep) -> Any:
    """Change an alert's headline, severity, urgency, certainty, description, instruction or expiry;
    its CAP export becomes an Update referencing what it replaces."""
    return await submit(request, rt, actor, "update_alert", body, target=alert_id, target_field="alert")


@router.post("/{alert_id}/cancel", response_model=b.Created)
async def cancel_alert(alert_id: ThingId, request: Request, rt: RuntimeDep, actor: ActorDep,
                       body: CancelAlert | None = None) -> Any:
    """Cancel an alert: it leaves the map, and its CAP export becomes a Cancel referencing what it replaces."""
    return await submit(request, rt, actor, "cancel_alert", body, target=alert_id, target_field="alert")


@router.post(
    "/cap", status_code=201, response_model=b.Created,
    openapi_extra={"requestBody": {"required": True, "content": {
        t: {"schema": {"type": "string", "description": "a CAP 1.2 <alert> document"}} for t in CAP_MEDIA_TYPES}}},
    responses={200: {"description": "the same message was imported before, or it updated or cancelled an alert "
                      "imported before: that alert"},
               409: {"description": "sent by this deployment, or the same sender and identifier with other content"},
               413: {"description": "document too large"}, 415: {"description": "not an XML media type"},
               422: {"description": "not a valid CAP 1.2 alert; `element` names the wrong element"}},
)
async def import_cap_alert(request: Request, rt: RuntimeDep, actor: ActorDep) -> Any:
    """Import a CAP 1.2 alert from another system (raw XML body). It is checked against the OASIS schema,
    parsed with no DTDs or entities, and recorded with source `import`, keeping its sender, identifier,
    sent time, references and status. The same message again answers 200 with the same alert; an Update or
    Cancel naming an alert imported earlier changes that alert (200)."""
    check_allowed(actor, "import_alert")
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in CAP_MEDIA_TYPES:
        raise Problem(415, "Unsupported media type",
                      f"send the CAP document as {' or '.join(CAP_MEDIA_TYPES)}, not {media_type or 'no content-type'}")
    data = await request.body()
    if len(data) > MAX_CAP_BYTES:
        raise Problem(413, "Request body too large", f"CAP documents are limited to {MAX_CAP_BYTES} bytes")
    try:
        fields = await asyncio.to_thread(lambda: import_fields(from_cap_xml(data, MAX_CAP_BYTES)))
    except CapError as error:
        raise invalid_cap(error.reason, error.path) from None
    try:
        answer = await submit(request, rt, actor, "import_alert", None, created=True, source="import",
                              extra={**fields, "own_sender": rt.settings.cap_sender})
    except AlreadyImported as same:  # the same message again: the alert it made, as it is now
        return await asyncio.to_thread(already_imported, rt, same.alert)
    except InvalidInput as error:  # valid CAP, but not an alert Lianfang can record (e.g. personal data)
        raise invalid_cap(error.detail, cap_element_of(error.detail)) from None
    answer.headers["Location"] = f"/api/v1/alerts/{orjson.loads(answer.body)['id']}"
    if fields["msg_type"] != "Alert" and orjson.loads(answer.body)["version"] > 1:
        answer.status_code = 200  # an Update or Cancel of an alert imported earlier: nothing new was created
    return answer


def already_imported(rt: Any, alert_id: UUID) -> JSONResponse:
    alert = load_alert(rt, str(alert_id))
    body = {"id": str(alert.id), "version": alert.version, "position": position_of(rt.app, alert.id, alert.version)}
    return JSONResponse(body, headers={"Location": f"/api/v1/alerts/{alert.id}", "ETag": f'"{alert.version}"'})


def invalid_cap(reason: str, element: str | None) -> Problem:
    detail = f"{element}: {reason}" if element else reason
    return Problem(422, "Invalid CAP alert", detail, element=element)
