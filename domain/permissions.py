"""Who may do what, by role: one table, from the command catalogue. The rules over places and units that go
with it are in domain/policy.py."""
from __future__ import annotations

from domain.command_catalogue import COMMANDS, C, F, O, U

READ = frozenset({C, U, F, O})

# Who may send each command (the catalogue's roles), and who may read.
MAY: dict[str, frozenset[str]] = {**{c.name: c.roles for c in COMMANDS if c.roles}, "read": READ}
