"""Public alerts (预警), exchangeable as OASIS CAP 1.2.

An alert is issued here (source `api`/`drill`) or imported from another system's CAP message
(source `import`, keeping that system's sender, identifier, sent time and references). Each event
of an alert is one CAP message: the issue (msgType Alert, or Update for an imported update), then
an Update per change and a Cancel; `messages` lists them for the CAP export.
"""
from __future__ import annotations

import dataclasses
import hashlib
import re
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import orjson

from domain.base import Meta, Thing
from domain.errors import InvalidInput, Refused
from domain.geometry import area_of
from domain.times import time_of
from domain.values import text_of

SEVERITY = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
URGENCY = ("Immediate", "Expected", "Future", "Past", "Unknown")
CERTAINTY = ("Observed", "Likely", "Possible", "Unlikely", "Unknown")
STATUS = ("Actual", "Exercise", "System", "Test", "Draft")
RESPONSE_TYPES = ("Shelter", "Evacuate", "Prepare", "Execute", "Avoid", "Monitor", "Assess", "AllClear", "None")
SCOPES = ("Public", "Restricted", "Private")
CATEGORIES = ("Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport", "Infra", "CBRNE", "Other")
# What an alert starts as. An Update from another system whose references name no alert imported here
# is imported as an alert of its own; one that names such an alert updates it, and a Cancel cancels it.
ISSUED_AS = ("Alert", "Update")
# The sender of alerts recorded before the sender became a setting (LIANFANG_CAP_SENDER).
DEFAULT_SENDER = "lianfang"
MESSAGE_NAMESPACE = uuid5(NAMESPACE_URL, "https://lianfang.example/cap-messages")
MAX_REFERENCES = 100

# CAP 1.2 §3.2.1: identifier and sender have no spaces, commas or restricted characters (< &).
_CAP_ID = re.compile(r"[^\s,<&]+")
_NOT_XML_CHAR = re.compile(r"[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]")
_LANGUAGE = re.compile(r"[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*")  # RFC 3066, as CAP 1.2 asks


def message_id(sender: str, identifier: str) -> UUID:
    """The id of the alert first imported from this CAP message: a second import of it finds the same alert."""
    return uuid5(MESSAGE_NAMESPACE, f"{sender},{identifier}")


def digest_of(content: dict[str, Any]) -> str:
    """What a CAP message says, as a hash: the same sender and identifier with other content is another message."""
    return hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS, default=str)).hexdigest()


class AlreadyImported(Refused):
    """This CAP message was imported before, with the same content: the answer is the alert it made."""

    title = "Already imported"

    def __init__(self, alert: UUID) -> None:
        super().__init__(f"this CAP message was already imported as alert {alert}")
        self.alert = alert


def one_of(value: Any, allowed: tuple[str, ...], what: str) -> str:
    if value not in allowed:
        raise InvalidInput(f"{what} must be one of {', '.join(allowed)} (CAP 1.2), not {value!r}")
    return str(value)


def cap_text_of(value: Any, what: str, *, required: bool = True, max_len: int = 2000) -> str | None:
    """Free text that a CAP 1.2 message can carry: no control characters XML cannot hold."""
    text = text_of(value, what, required=required, max_len=max_len)
    bad = _NOT_XML_CHAR.search(text or "")
    if bad:
        raise InvalidInput(f"{what} contains the control character {bad.group()!r}, which a CAP (XML) message cannot carry")
    return text


def cap_id_of(value: Any, what: str) -> str:
    text = cap_text_of(value, what, max_len=200)
    assert text is not None
    if not _CAP_ID.fullmatch(text):
        raise InvalidInput(f"{what} {text!r} must have no spaces, commas, '<' or '&' (CAP 1.2)")
    return text


def references_of(value: Any) -> list[str]:
    """CAP references: "sender,identifier,sent" of each earlier message, kept as written."""
    if value is None:
        return []
    if not isinstance(value, (list, tuple)) or len(value) > MAX_REFERENCES:
        raise InvalidInput(f"references must be a list of at most {MAX_REFERENCES} \"sender,identifier,sent\" texts")
    for ref in value:
        parts = ref.split(",") if isinstance(ref, str) else []
        if len(parts) != 3:
            raise InvalidInput(f"reference {ref!r} is not of the form sender,identifier,sent (CAP 1.2)")
        cap_id_of(parts[0], "the sender of a reference")
        cap_id_of(parts[1], "the identifier of a reference")
        time_of(parts[2], "the sent time of a reference")
    return list(value)


def list_of(value: Any, allowed: tuple[str, ...], what: str) -> list[str]:
    if not isinstance(value, (list, tuple)) or not value:
        raise InvalidInput(f"{what} must be a non-empty list of CAP {what} values")
    return [one_of(v, allowed, what) for v in value]


def language_of(value: Any) -> str:
    text = cap_text_of(value, "language", max_len=35)
    assert text is not None
    if not _LANGUAGE.fullmatch(text):
        raise InvalidInput(f"language must be a language tag such as zh-CN (RFC 3066), not {text!r}")
    return text


def alert_area_of(value: Any) -> dict[str, Any]:
    area = area_of(value)
    polygons = [area["coordinates"]] if area["type"] == "Polygon" else area["coordinates"]
    if any(len(rings) > 1 for rings in polygons):
        raise InvalidInput("area: an alert's polygons cannot have holes (CAP 1.2 polygons are outer rings only)")
    return area


def expiry_of(value: Any, meta: Meta) -> str | None:
    return time_of(value, "expires", now=meta.at).isoformat() if value else None


# What an update may change, and how each new value is checked.
UPDATABLE: dict[str, Any] = {
    "headline": lambda v, meta: cap_text_of(v, "headline", max_len=160),
    "severity": lambda v, meta: one_of(v, SEVERITY, "severity"),
    "urgency": lambda v, meta: one_of(v, URGENCY, "urgency"),
    "certainty": lambda v, meta: one_of(v, CERTAINTY, "certainty"),
    "description": lambda v, meta: cap_text_of(v, "description", required=False, max_len=5000),
    "instruction": lambda v, meta: cap_text_of(v, "instruction", required=False, max_len=5000),
    "expires": expiry_of,
}


class Alert(Thing):
    class AlertIssued(Thing.Created):
        headline: str
        severity: str
        urgency: str
        certainty: str
        area: dict[str, Any]
        area_desc: str | None
        description: str | None
        instruction: str | None
        incident: str | None
        expires: str | None
        status: str
        event: str
        response_type: list[str]
        language: str
        sender: str
        identifier: str
        references: list[str]
        # Added with CAP import; the defaults are what alerts recorded before them were.
        scope: str = "Public"
        category: Any = ("Health",)
        msg_type: str = "Alert"
        sent: str | None = None  # the original's sent time, for an imported alert; else the event's time
        restriction: str | None = None
        addresses: str | None = None
        reason: str | None = None  # why it is in the record: an import names where it came from
        # Added with shapeless areas: the geocodes the sender named (the map may place them), and the digest
        # of an imported message, to know a second import of it.
        geocodes: Any = ()
        digest: str | None = None
        # Every <info> of an imported message (one per language), the first being the alert's own fields.
        infos: Any = ()

        def apply(self, alert: Alert) -> None:
            alert.fields = {name: getattr(self, name) for name in CONTENT}
            alert.fields["category"] = list(alert.fields["category"])
            alert.fields["geocodes"] = list(alert.fields["geocodes"])
            alert.fields["infos"] = list(alert.fields["infos"])
            alert.messages = [{"msg_type": self.msg_type, "version": self.originator_version, "at": self.timestamp}]
            if self.digest:
                alert.received[f"{self.sender},{self.identifier}"] = self.digest

    class AlertUpdated(Thing.Event):
        changes: dict[str, Any]
        # An Update imported from the alert's sender: its own sender, identifier, sent time and digest.
        message: dict[str, Any] | None = None

        def apply(self, alert: Alert) -> None:
            alert.fields.update(self.changes)
            alert.messages.append({"msg_type": "Update", "version": self.originator_version, "at": self.timestamp,
                                   **(self.message or {})})
            if self.message:
                alert.received[f"{self.message['sender']},{self.message['identifier']}"] = self.message["digest"]

    class AlertCancelled(Thing.Event):
        reason: str | None
        message: dict[str, Any] | None = None  # a Cancel imported from the alert's sender, as for an Update

        def apply(self, alert: Alert) -> None:
            alert.cancelled = True
            alert.cancel_reason = self.reason
            alert.messages.append({"msg_type": "Cancel", "version": self.originator_version, "at": self.timestamp,
                                   **(self.message or {})})
            if self.message:
                alert.received[f"{self.message['sender']},{self.message['identifier']}"] = self.message["digest"]

    def __init__(self) -> None:
        # eventsourcing passes __init__ only parameters it names; AlertIssued.apply fills these in.
        self.fields: dict[str, Any] = {}
        self.cancelled = False
        self.cancel_reason: str | None = None
        self.messages: list[dict[str, Any]] = []
        self.received: dict[str, str] = {}  # "sender,identifier" of each imported message -> its digest

    @classmethod
    def issue(
        cls, id: UUID, meta: Meta, *, headline: Any, severity: Any, urgency: Any, certainty: Any, area: Any,  # noqa: A002
        description: Any = None, instruction: Any = None, incident: str | None = None, expires: Any = None,
        event: Any = "突发公共卫生事件", response_type: Any = ("Monitor",), language: Any = "zh-CN",
        area_desc: Any = None, sender: Any = DEFAULT_SENDER, identifier: Any = None, references: Any = (),
        status: Any = "Actual", scope: Any = "Public", category: Any = ("Health",), msg_type: Any = "Alert",
        sent: Any = None, restriction: Any = None, addresses: Any = None, geocodes: Any = (), digest: Any = None,
        infos: Any = (),
    ) -> Alert:
        """Issue an alert; `response_type=None` means the (imported) original named none, `area=None` that
        it gave its area only by description or geocodes."""
        if area is None and meta.source != "import":
            raise InvalidInput("area: an alert issued here needs a polygon")
        meta.check_role("commander", doing="issuing a public alert")
        if response_type is not None and (not isinstance(response_type, (list, tuple)) or not response_type):
            raise InvalidInput("response_type must be a non-empty list of CAP response types")
        kind = one_of(msg_type, ISSUED_AS, "msg_type")
        refs = references_of(references)
        if kind == "Update" and not refs:
            raise InvalidInput("an Update must name the message(s) it updates in references (sender,identifier,sent)")
        scope = one_of(scope, SCOPES, "scope")
        restriction = cap_text_of(restriction, "restriction", required=False, max_len=500)
        addresses = cap_text_of(addresses, "addresses", required=False, max_len=2000)
        if scope == "Restricted" and not restriction:
            raise InvalidInput("a Restricted alert needs a restriction saying who may see it (CAP 1.2)")
        if scope == "Private" and not addresses:
            raise InvalidInput("a Private alert needs the addresses it is for (CAP 1.2)")
        sender = cap_id_of(sender, "sender")
        identifier = cap_id_of(identifier, "identifier") if identifier is not None else str(id)
        sent_at = time_of(sent, "sent", now=meta.at).isoformat() if sent is not None else None
        origin = (f"导入 CAP 1.2 预警 imported from {sender}, identifier {identifier}, sent {sent_at}"
                  if meta.source == "import" else None)
        return cls.begin(
            cls.AlertIssued, id, meta,
            headline=cap_text_of(headline, "headline", max_len=160),
            severity=one_of(severity, SEVERITY, "severity"),
            urgency=one_of(urgency, URGENCY, "urgency"),
            certainty=one_of(certainty, CERTAINTY, "certainty"),
            area=alert_area_of(area) if area is not None else None, geocodes=geocodes_of(geocodes), digest=digest,
            infos=infos_of(infos, meta),
            area_desc=cap_text_of(area_desc, "area_desc", required=False, max_len=500),
            description=cap_text_of(description, "description", required=False, max_len=5000),
            instruction=cap_text_of(instruction, "instruction", required=False, max_len=5000),
            incident=incident,
            expires=expiry_of(expires, meta),
            # A drill never puts out a real alert, whatever it was given.
            status="Exercise" if meta.drill_run else one_of(status, STATUS, "status"),
            event=cap_text_of(event, "event", max_len=200),
            response_type=[] if response_type is None else list_of(response_type, RESPONSE_TYPES, "response_type"),
            language=language_of(language),
            sender=sender, identifier=identifier, references=refs,
            scope=scope, category=list_of(category, CATEGORIES, "category"), msg_type=kind, sent=sent_at,
            restriction=restriction, addresses=addresses, reason=origin,
        )

    def update(self, meta: Meta, **changes: Any) -> None:
        meta.check_role("commander", doing="updating an alert")
        self.check_live()
        unknown = set(changes) - set(UPDATABLE)
        if unknown:
            raise InvalidInput(f"cannot update {', '.join(sorted(unknown))}; updatable: {', '.join(sorted(UPDATABLE))}")
        if not changes:
            raise InvalidInput(f"nothing to update; give at least one of {', '.join(sorted(UPDATABLE))}")
        checked = {name: UPDATABLE[name](value, meta) for name, value in changes.items()}
        self.happen(self.AlertUpdated, meta, changes=checked)

    def cancel(self, meta: Meta, *, reason: Any = None) -> None:
        meta.check_role("commander", doing="cancelling an alert")
        self.check_live()
        self.happen(self.AlertCancelled, meta, reason=cap_text_of(reason, "reason", required=False, max_len=500))

    def check_not_received(self, sender: str, identifier: str, digest: str) -> None:
        """A CAP message already taken in is the same alert, or a conflict if it now says something else."""
        known = self.received.get(f"{sender},{identifier}")
        if known == digest:
            raise AlreadyImported(self.id)
        if known is not None:
            raise Refused(f"a CAP message from {sender} with identifier {identifier} was already imported as alert "
                          f"{self.id} with other content; a change is sent as an Update with a new identifier")

    def take_update(self, meta: Meta, message: dict[str, Any], **content: Any) -> None:
        """An Update from the alert's sender: its content replaces the alert's."""
        meta.check_role("commander", doing="importing an alert update")
        self.check_live()
        self._check_sender(message["sender"])
        checked = Alert.issue(self.id, meta, **{**self._issued_content(), **content}).fields
        changes = {k: v for k, v in checked.items() if k in IMPORTED_CHANGES and v != self.fields.get(k)}
        self.happen(self.AlertUpdated, meta, changes=changes, message=message)

    def take_cancel(self, meta: Meta, message: dict[str, Any], *, reason: Any = None) -> None:
        """A Cancel from the alert's sender."""
        meta.check_role("commander", doing="importing an alert cancel")
        self.check_live()
        self._check_sender(message["sender"])
        self.happen(self.AlertCancelled, meta, reason=cap_text_of(reason, "note", required=False, max_len=500),
                    message=message)

    def _check_sender(self, sender: str) -> None:
        if sender != self.fields["sender"]:
            raise Refused(f"alert {self.id} was sent by {self.fields['sender']}; a message from {sender} cannot change it")

    def _issued_content(self) -> dict[str, Any]:
        return {k: self.fields[k] for k in ("sender", "identifier", "sent", "msg_type", "references")}

    def check_live(self) -> None:
        if self.cancelled:
            raise Refused("this alert was cancelled; issue a new one")

    @property
    def issued_at(self) -> datetime:
        """When the original message was sent: the imported original's time (with its own offset), else when issued here."""
        sent = self.fields.get("sent")
        return datetime.fromisoformat(sent) if sent else self.created_on


def geocodes_of(value: Any) -> list[dict[str, str]]:
    if not isinstance(value, (list, tuple)) or len(value) > 1000:
        raise InvalidInput("geocodes must be a list of at most 1000 {value_name, value} pairs")
    return [{"value_name": cap_text_of(g.get("value_name"), "geocode valueName", max_len=200),
             "value": cap_text_of(g.get("value"), "geocode value", max_len=200)}
            for g in value if isinstance(g, dict)]


INFO_TEXTS = {"headline": 160, "event": 200, "description": 5000, "instruction": 5000, "area_desc": 500,
              "sender_name": 200, "web": 500, "contact": 500}


def infos_of(value: Any, meta: Meta) -> list[dict[str, Any]]:
    """The <info> blocks of a CAP message, each in its own language, with the same checks as the alert's fields."""
    if not isinstance(value, (list, tuple)) or len(value) > 20:
        raise InvalidInput("infos must be a list of at most 20 <info> blocks")
    checked = []
    for info in value:
        if not isinstance(info, dict):
            raise InvalidInput("each info must be a mapping")
        one = {name: cap_text_of(info.get(name), name, required=False, max_len=limit)
               for name, limit in INFO_TEXTS.items()}
        one.update(
            language=language_of(info.get("language")),
            severity=one_of(info.get("severity"), SEVERITY, "severity"),
            urgency=one_of(info.get("urgency"), URGENCY, "urgency"),
            certainty=one_of(info.get("certainty"), CERTAINTY, "certainty"),
            category=list_of(info.get("category"), CATEGORIES, "category"),
            response_type=[one_of(r, RESPONSE_TYPES, "response_type") for r in info.get("response_type") or ()],
            expires=time_of(info["expires"], "expires").isoformat() if info.get("expires") else None,
        )
        checked.append(one)
    return checked


# What an imported Update may change: all the content of the message but who sent it and when.
IMPORTED_CHANGES = ("headline", "severity", "urgency", "certainty", "event", "language", "category", "response_type",
                    "description", "instruction", "expires", "area", "area_desc", "geocodes", "infos", "status", "scope",
                    "restriction", "addresses")

# The content of an alert: every field of AlertIssued but the event's own bookkeeping.
CONTENT = tuple(f.name for f in dataclasses.fields(Alert.AlertIssued)
                if f.name not in {f.name for f in dataclasses.fields(Thing.Created)} | {"digest"})
