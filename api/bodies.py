"""Request bodies of the contract's commands, with examples for the OpenAPI schema.

Shapes and ranges are checked here (422 naming the field); the rules live in domain/.
"""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Lon = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
Lat = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Point = Annotated[tuple[Lon, Lat], Field(description="WGS84 [lon, lat]", examples=[[104.06, 30.67]])]
Count = Annotated[int, Field(ge=0, le=10_000_000)]
Text = Annotated[str, Field(min_length=1, max_length=2000)]
Reason = Annotated[str, Field(min_length=1, max_length=500)]
Id = Annotated[str, Field(min_length=1, max_length=64, description="the id of a thing (UUID)")]
UnitRef = Annotated[str, Field(min_length=1, max_length=100, description="a unit's id, or its exact registered name",
                               examples=["县卫健局"])]
Moment = Annotated[str, Field(min_length=10, max_length=40, description="ISO-8601 with offset", examples=["2026-03-01T08:00:00+08:00"])]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")
    expected_version: int | None = Field(None, ge=1, description="optimistic concurrency; same as If-Match")


class Counts(BaseModel):
    model_config = ConfigDict(extra="forbid")
    confirmed: Count = 0
    suspected: Count = 0
    asymptomatic: Count = 0
    close_contacts: Count = 0


class Area(BaseModel):
    """A GeoJSON Polygon or MultiPolygon in WGS84."""

    model_config = ConfigDict(extra="allow")
    type: Literal["Polygon", "MultiPolygon"]
    coordinates: list[Any]


class ReportIncident(Body):
    kind: str = Field(examples=["cluster"], description="cluster, food_poisoning, unexplained_illness, infectious_disease, vaccine_reaction, occupational_poisoning, other")
    title: Annotated[str, Field(min_length=1, max_length=200, examples=["幼儿园发热聚集"])]
    location: Point
    jurisdiction: str | None = Field(None, max_length=32)
    counts: Counts | None = None
    occurred_at: Moment | None = None


class FileReport(Body):
    new: Counts = Field(description="cases newly found since this reporter's last report, never totals")
    note: Text | None = None
    position: Point | None = None
    occurred_at: Moment | None = None


class SetLevel(Body):
    level: Literal["I", "II", "III", "IV"]
    reason: Reason


class WithReason(Body):
    reason: Reason


class MaybeReason(Body):
    reason: Reason | None = None


class DeclareZone(Body):
    incident: Id
    kind: Literal["sealed", "controlled", "prevention"]
    area: Area
    name: Annotated[str, Field(max_length=100)] | None = None


class RegisterResource(Body):
    kind: str = Field(examples=["sampling_team"])
    name: Annotated[str, Field(min_length=1, max_length=100)]
    unit: UnitRef
    position: Point
    capacity: Count | None = None
    quantity: Count | None = None


class MoveResource(Body):
    position: Point
    occurred_at: Moment | None = None


class RequestDispatch(Body):
    incident: Id
    kind: str = Field(examples=["sampling_team"])
    quantity: Annotated[int, Field(ge=1, le=10_000_000)] = 1
    destination: Point | None = None


class CommitDispatch(Body):
    resource: Id


class DispatchStep(Body):
    reason: Reason | None = None
    occurred_at: Moment | None = None


class AssignTask(Body):
    title: Annotated[str, Field(min_length=1, max_length=200)]
    lead: UnitRef
    due: Moment
    cooperating: list[UnitRef] = Field(default_factory=list, max_length=50)
    incident: Id | None = None
    zone: Id | None = None
    description: Annotated[str, Field(max_length=5000)] | None = Field(None, description="what the units are to do, in a few lines")


class TaskStep(Body):
    pass


class ReportProgress(Body):
    percent: Annotated[int, Field(ge=0, le=100)]
    note: Text | None = None


class RefuseTask(Body):
    reason: Reason


class SuperviseTask(Body):
    notice: Text
    answer_by: Moment


class AnswerSupervision(Body):
    answer: Text


class IssueAlert(Body):
    headline: Annotated[str, Field(min_length=1, max_length=160)]
    severity: Literal["Extreme", "Severe", "Moderate", "Minor", "Unknown"]
    urgency: Literal["Immediate", "Expected", "Future", "Past", "Unknown"]
    certainty: Literal["Observed", "Likely", "Possible", "Unlikely", "Unknown"]
    area: Area
    description: Annotated[str, Field(max_length=5000)] | None = None
    instruction: Annotated[str, Field(max_length=5000)] | None = None
    incident: Id | None = None
    expires: Moment | None = None
    status: Literal["Actual", "Exercise"] | None = Field(
        None, description="CAP status: Actual (a real alert, the default) or Exercise (演练); a drill's alerts are always Exercise")


class RegisterUnit(Body):
    name: Annotated[str, Field(min_length=1, max_length=100, examples=["县卫健局"])]
    kind: Literal["department", "township"]
    jurisdiction: Annotated[str, Field(max_length=32)] | None = None


class Created(BaseModel):
    id: str
    version: int
    position: int | None
