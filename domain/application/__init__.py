"""The application around the model: the Coordination application (its commands), the writer that commits them in
batches, the event store glue (SQLite and PostgreSQL), the unit of work, the server's settings and the failure log.

The model beside it (aggregates, values, the policy and the command catalogue) imports none of this: no SQL, no
threads, no settings (an import-linter contract in pyproject.toml holds it to that).
"""
from domain.application.coordination import Coordination

__all__ = ["Coordination"]
