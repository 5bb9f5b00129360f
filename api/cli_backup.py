"""`lianfang backup DEST` and `lianfang restore SRC`: an online, consistent copy, and bringing it back."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli_app import DataDir, cli, fail, settings_with


@cli.command()
def backup(
    dest: Annotated[Path, typer.Argument(help="a new or empty directory to write the backup to")],
    data_dir: DataDir = None,
) -> None:
    """Take an online, consistent backup while the server runs.

    Embedded mode: every SQLite file of the data directory (read models first, the event store last) with
    SQLite's online backup API. Scale-out (LIANFANG_DATABASE_URL): pg_dump in custom format of the whole
    database. Redis holds nothing durable and is not backed up. DEST gets a manifest.json (mode, time, log
    position, event count, sha256 of every file) that `lianfang restore` checks. Exit 2 if DEST is not empty.
    """
    from api.backup import BackupError, backup_embedded, backup_postgres

    settings = settings_with(data_dir)
    try:
        if settings.database_url:
            outcome = backup_postgres(settings.database_url, dest)
        else:
            outcome = backup_embedded(Path(settings.data_dir), dest)
    except BackupError as error:
        fail(f"backup refused: {error}", 2)
        return
    m = outcome.manifest
    typer.echo(f"backed up {m['events']} events (log position {m['position']}, {m['mode']} mode) to {dest}")


@cli.command()
def restore(
    src: Annotated[Path, typer.Argument(help="a directory written by `lianfang backup`")],
    data_dir: DataDir = None,
) -> None:
    """Restore a backup into an EMPTY data directory (embedded) or an EMPTY database (LIANFANG_DATABASE_URL).

    Every file is checked against the manifest's sha256 first. A target that holds anything is refused
    (exit 2): move it aside, or create a new database. Then start the server as usual: read models catch up
    from the restored log, and `lianfang audit verify` checks the restored audit trail against it.
    """
    from api.backup import BackupError, read_manifest, restore_embedded, restore_postgres

    if not src.is_dir():
        fail(f"restore refused: {src} is not a directory written by `lianfang backup`", 2)
    settings = settings_with(data_dir)
    try:
        manifest = read_manifest(src)
        if settings.database_url:
            log = restore_postgres(src, settings.database_url, manifest)
            if log["position"] != manifest["position"]:
                fail(f"restore incomplete: the database holds log position {log['position']}, "
                     f"the manifest says {manifest['position']}", 1)
        else:
            restore_embedded(src, Path(settings.data_dir), manifest)
    except BackupError as error:
        fail(f"restore refused: {error}", 2)
        return
    target = "the database" if settings.database_url else settings.data_dir
    typer.echo(f"restored {manifest['events']} events (log position {manifest['position']}, taken "
               f"{manifest['created_at']}) into {target}")
