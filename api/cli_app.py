"""The `lianfang` Typer app, its command groups and what their commands share (--data-dir, settings, failing)."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from domain.application.settings import Settings
from wiring.layout import drill_store_settings
from wiring.store_hosts import RemoteStoreRefused

cli = typer.Typer(help="联防 Lianfang: coordination of a county's public-health emergencies.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
tokens = typer.Typer(help="Access tokens: create (shown once), list, revoke.", no_args_is_help=True)
projections_cli = typer.Typer(help="Read models: rebuild from position 0, or run as workers.", no_args_is_help=True)
audit_cli = typer.Typer(help="The tamper-evident audit trail.", no_args_is_help=True)
drill_cli = typer.Typer(help="Drills (演练) from scenario files.", no_args_is_help=True)
cli.add_typer(tokens, name="tokens")
cli.add_typer(projections_cli, name="projections")
cli.add_typer(audit_cli, name="audit")
cli.add_typer(drill_cli, name="drill")

DataDir = Annotated[Optional[Path], typer.Option("--data-dir", help="store directory (default: $LIANFANG_DATA_DIR or ./var)")]


def settings_with(data_dir: Path | None = None, allow_remote_store: bool = False, **overrides: object) -> Settings:
    """The settings, with flags over variables; a drill store's directory names its own event store."""
    values = {k: v for k, v in overrides.items() if v is not None}
    if data_dir is not None:
        values["data_dir"] = data_dir
    try:
        return drill_store_settings(Settings(**values), allow_remote_store)
    except RemoteStoreRefused as error:
        fail(str(error), 2)
        raise
    except Exception as error:  # noqa: BLE001  (pydantic's message names the bad setting)
        fail(f"bad setting: {error}", 2)
        raise


def fail(message: str, code: int = 1) -> None:
    typer.secho(message, fg="red", err=True)
    raise typer.Exit(code)
