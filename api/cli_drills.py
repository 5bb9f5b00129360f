"""`lianfang drill run|export` and `lianfang review`: drills from scenario files, after-action review."""
from __future__ import annotations

from api.cli import cli, drill_cli  # noqa: F401  (commands register onto these)
