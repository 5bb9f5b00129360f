"""Who may do what, by role: one table. The rules over places and units that go with it are in domain/policy.py."""
from __future__ import annotations

C, U, F, O = "commander", "unit", "field", "observer"
READ = frozenset({C, U, F, O})

MAY: dict[str, frozenset[str]] = {
    "register_unit": frozenset({C}),
    "retire_unit": frozenset({C}),
    "declare_kind": frozenset({C}),
    "draw_jurisdiction": frozenset({C}),
    "erase_jurisdiction": frozenset({C}),
    "report_incident": frozenset({C, U, F}),
    "file_report": frozenset({C, U, F}),
    "set_level": frozenset({C}),
    "close_incident": frozenset({C}),
    "declare_zone": frozenset({C}),
    "downgrade_zone": frozenset({C}),
    "lift_zone": frozenset({C}),
    "register_resource": frozenset({C, U}),
    "move_resource": frozenset({C, U, F}),
    "amend_resource": frozenset({C}),
    "retire_resource": frozenset({C}),
    "request_dispatch": frozenset({C, U}),
    "commit_dispatch": frozenset({C, U}),
    "depart": frozenset({C, U, F}),
    "arrive": frozenset({C, U, F}),
    "release": frozenset({C, U, F}),
    "cancel_dispatch": frozenset({C, U}),
    "assign_task": frozenset({C}),
    "claim_task": frozenset({U}),
    "report_progress": frozenset({U}),
    "complete_task": frozenset({U}),
    "refuse_task": frozenset({U}),
    "supervise_task": frozenset({C}),
    "answer_supervision": frozenset({U}),
    "issue_alert": frozenset({C}),
    "import_alert": frozenset({C}),
    "update_alert": frozenset({C}),
    "cancel_alert": frozenset({C}),
    "offer_enrolment": frozenset({C, U}),
    "withdraw_enrolment": frozenset({C}),
    "read": READ,
}
