"""The `lianfang` command line: serve, setup, tokens, drills, review, projections, audit."""
from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from domain.settings import Settings

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
    from api.runtime import drill_store_settings
    from api.store_hosts import RemoteStoreRefused

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


@cli.command()
def serve(
    host: Annotated[Optional[str], typer.Option(help="address to listen on (default 127.0.0.1)")] = None,
    port: Annotated[Optional[int], typer.Option(help="port (default 8000)")] = None,
    data_dir: DataDir = None,
    geography: Annotated[Optional[Path], typer.Option(help="GeoJSON jurisdictions (default: the demo county)")] = None,
    demo: Annotated[bool, typer.Option(help="register the demo county's units and print a one-time sign-in link")] = False,
    certfile: Annotated[Optional[Path], typer.Option(help="serve HTTPS: the certificate chain (PEM); phones need HTTPS for offline use")] = None,
    keyfile: Annotated[Optional[Path], typer.Option(help="the certificate's private key (PEM), with --certfile")] = None,
    allow_remote_store: Annotated[bool, typer.Option(
        "--allow-remote-store", help="serve a drill store whose database.url names another machine's PostgreSQL "
        "(refused by default: only this machine or the live database's host)")] = False,
) -> None:
    """Run the server (embedded SQLite store unless LIANFANG_DATABASE_URL names PostgreSQL)."""
    import uvicorn

    from api.main import create_app
    from api.runtime import Runtime

    settings = settings_with(data_dir, allow_remote_store, host=host, port=port, geography=geography)
    if bool(certfile) != bool(keyfile):
        fail("HTTPS needs both --certfile and --keyfile", 2)
    for tls_file in (certfile, keyfile):
        if tls_file is not None and not tls_file.is_file():
            fail(f"{tls_file} is not a readable file", 2)
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    runtime = Runtime.build(settings).start()
    if demo:
        from api.demo import prepare_demo

        from api.demo_drill import start_exercise

        sign_in = prepare_demo(runtime)
        url = sign_in.link(f"{'https' if certfile else 'http'}://{settings.host}:{settings.port}", phone=False)
        typer.secho(f"\n  联防 Lianfang is starting.\n  Map (a one-time sign-in link, commander; valid until "
                    f"{sign_in.expires_at.isoformat(timespec='minutes')}):\n  {url}\n", fg="green")
        runtime.exercise = start_exercise(settings)
        if runtime.exercise.ready.wait(60) and runtime.exercise.runtime is not None:
            watch = runtime.exercise.sign_in().link(runtime.exercise.url, phone=False)
            typer.secho(f"  Exercise (演练, marked as such; the bundled drill \"{runtime.exercise.scenario}\" playing "
                        f"{settings.demo_drill_speed:g}x real time; a one-time link, observer):\n  {watch}\n", fg="yellow")
        else:  # the live map goes on without offering it
            typer.secho(f"  (no exercise: {runtime.exercise.failed or 'the demo drill did not start'})", fg="red")
            runtime.exercise = None
    try:
        # Per-message deflate costs CPU and memory per viewer for every frame: deltas are small, send them plain.
        uvicorn.run(create_app(settings, runtime), host=settings.host, port=settings.port, log_level="warning",
                    ws_per_message_deflate=False, ssl_certfile=certfile, ssl_keyfile=keyfile)
    finally:
        if runtime.exercise is not None:
            runtime.exercise.stop()
        runtime.stop()


@tokens.command("create")
def tokens_create(
    role: Annotated[str, typer.Option(help="commander | unit | field | observer")],
    unit: Annotated[Optional[str], typer.Option(help="the unit it acts for (id or name); needed for unit and field")] = None,
    name: Annotated[Optional[str], typer.Option(help="who holds it, e.g. 采样一组")] = None,
    data_dir: DataDir = None,
) -> None:
    """Create a token and print it once; only its hash is stored."""
    from api.tokens import create_token

    token = create_token(settings_with(data_dir), role=role, unit=unit, name=name)
    typer.echo(token)


@tokens.command("enrol")
def tokens_enrol(
    role: Annotated[str, typer.Option(help="commander | unit | field | observer")],
    unit: Annotated[Optional[str], typer.Option(help="the unit its person acts for (id or name); needed for unit and field")] = None,
    name: Annotated[Optional[str], typer.Option(help="who signs in with it, e.g. 采样一组")] = None,
    expires: Annotated[Optional[str], typer.Option(help="how long the code stays valid: 90m, 12h, 7d (default: the setting enrol_code_hours)")] = None,
    base_url: Annotated[str, typer.Option(help="the address phones reach this server at")] = "",
    desktop: Annotated[bool, typer.Option(help="a link to the desktop map (…/#enrol=) instead of the phone page (…/m/#enrol=)")] = False,
    data_dir: DataDir = None,
) -> None:
    """Print a one-time sign-in link (the code in its fragment) and the code; it works once, until it expires."""
    from api.enrolments import enrol

    settings = settings_with(data_dir)
    made = enrol(settings, role=role, unit=unit, name=name, expires=expires)
    typer.echo(made.link(base_url or f"http://{settings.host}:{settings.port}", phone=not desktop))
    typer.echo(f"code: {made.code}  (valid until {made.expires_at.isoformat(timespec='seconds')})")


@tokens.command("list")
def tokens_list(data_dir: DataDir = None) -> None:
    """List tokens: id, role, unit, name, revoked (never the secrets)."""
    from api.tokens import list_tokens

    for row in list_tokens(settings_with(data_dir)):
        typer.echo("\t".join(str(row[k] or "-") for k in ("id", "role", "unit", "name", "state")))


@tokens.command("revoke")
def tokens_revoke(token_id: Annotated[str, typer.Argument(help="the token's id from `tokens list`")], data_dir: DataDir = None) -> None:
    """Revoke a token: it fails at once, also on open live feeds."""
    from api.tokens import revoke_token

    revoke_token(settings_with(data_dir), token_id)
    typer.echo(f"revoked {token_id}")


@audit_cli.command("verify")
def audit_verify(data_dir: DataDir = None) -> None:
    """Check the tamper-evidence chain; exit 1 and name the position where it breaks."""
    from api.tokens import open_store
    from projections.audit import verify
    from projections.runner import read_stores

    settings = settings_with(data_dir)
    _, trail = read_stores(settings, Path(settings.data_dir) / "projections")
    with open_store(settings) as app:
        verdict = verify(app, trail)
    if verdict.ok:
        typer.echo(f"ok: {verdict.checked} events verified (audit head {verdict.head})")
        return
    fail(f"BROKEN at position {verdict.broken_at}: {verdict.problem}", 1)


@projections_cli.command("rebuild")
def projections_rebuild(
    name: Annotated[Optional[str], typer.Argument(help="situation_map | ledger | audit (default: all)")] = None,
    data_dir: DataDir = None,
) -> None:
    """Rebuild read models from position 0 beside the live ones, then switch to them."""
    from projections.rebuild import rebuild

    try:
        rebuild(settings_with(data_dir), name)
    except ValueError as error:
        fail(str(error), 2)


@projections_cli.command("skip")
def projections_skip(
    position: Annotated[int, typer.Argument(help="the log position of the event a read model cannot take (see /healthz)")],
    reason: Annotated[str, typer.Option(help="why it is skipped: recorded in the log and the audit trail")],
    data_dir: DataDir = None,
) -> None:
    """Skip a stored event in the read models that cannot take it; the skip is itself a recorded event."""
    from api.tokens import skip_event

    at = skip_event(settings_with(data_dir), position, reason)
    typer.echo(f"the event at position {position} is skipped (recorded at position {at}); read models stopped there resume past it")


@projections_cli.command("run")
def projections_run(data_dir: DataDir = None) -> None:
    """Run the projection workers in this process (scale-out mode)."""
    from projections.worker import run_workers

    run_workers(settings_with(data_dir))


def main() -> None:
    import api.cli_backup  # noqa: F401  (registers `backup` and `restore`)
    import api.cli_drills  # noqa: F401  (registers `drill` and `review`)
    import api.cli_setup  # noqa: F401  (registers `setup`)

    try:
        cli()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
