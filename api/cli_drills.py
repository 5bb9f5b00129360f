"""`lianfang drill run|export` and `lianfang review`: drills from scenario files, after-action review."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from api.cli_app import cli, drill_cli, fail

if TYPE_CHECKING:
    from scenarios.runner import DrillReport


REMOTE_STORE_HELP = ("connect to the database the store's database.url names even when it is neither this machine nor "
                     "the live database's host (only for a store you trust)")


def console() -> Console:
    """Rich output; wide enough off a terminal that expected and actual stay on one line."""
    probe = Console()
    return probe if probe.is_terminal else Console(width=200)


@drill_cli.command("run")
def drill_run(
    file: Annotated[Path, typer.Argument(help="the scenario file (YAML)")],
    speed: Annotated[Optional[float], typer.Option(help="simulated time runs X times real time (e.g. 60: an hour a minute)")] = None,
    as_fast_as_possible: Annotated[bool, typer.Option("--as-fast-as-possible", help="no pauses between injects (the default)")] = False,
    store: Annotated[Optional[Path], typer.Option(help="the drill store to create (default: $LIANFANG_DATA_DIR/drills/<file>-<run>)")] = None,
    serve: Annotated[bool, typer.Option(help="serve the map of the drill store while it runs, and after, until Ctrl-C")] = False,
    host: Annotated[str, typer.Option(help="with --serve: address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="with --serve: port")] = 8000,
    database_url: Annotated[Optional[str], typer.Option(
        "--database-url", envvar="LIANFANG_DRILL_DATABASE_URL", show_envvar=True, metavar="URL",
        help="keep the drill's events, checkpoints and audit trail in this empty PostgreSQL database of its own "
             "(postgresql://user:password@host:port/dbname), never the live one; --store keeps the rest")] = None,
    via: Annotated[Optional[str], typer.Option(help="send the injects to a running server at this URL instead")] = None,
    token: Annotated[Optional[list[str]], typer.Option(help="with --via: a commander token for every actor; ACTOR=TOKEN for one actor (repeatable)")] = None,
) -> None:
    """Run a scenario: exit 0 when every expectation held, 1 when one did not, 2 when the file or an inject is refused."""
    from scenarios.loader import ScenarioError, load
    from scenarios.runner import InjectRefused
    from scenarios.runner import Progress as DrillProgress
    from scenarios.store import DrillStoreError
    from scenarios.vocabulary import format_offset

    if speed is not None and as_fast_as_possible:
        fail("choose --speed X or --as-fast-as-possible, not both", 2)
    if speed is not None and speed <= 0:
        fail("--speed must be positive", 2)
    if via and (serve or store or database_url):
        fail("--via sends the injects to a running server: it takes no --serve, --store or --database-url", 2)
    if token and not via:
        fail("--token goes with --via", 2)
    try:
        scenario = load(file)
    except ScenarioError as error:
        fail(f"refused: {error}", 2)
    out = console()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[at]}"))
    with Progress(*columns, console=out) as bar:
        job = bar.add_task(scenario.name, total=len(scenario.injects) + len(scenario.expectations), at="")

        def step(p: DrillProgress) -> None:
            bar.update(job, completed=p.done, at=f"{format_offset(p.offset)} {p.what}")

        shown: list[DrillReport] = []

        def ended(report: DrillReport) -> None:  # --serve: the result as the drill ends, while its map is still served
            bar.stop()
            show(report, store or "the drill store", out)
            out.print(f"the map of the drill stays served at http://{host}:{port}/ until Ctrl-C")
            shown.append(report)

        try:
            report, where = _run(scenario, store, database_url, speed, serve, host, port, via, token or [], step, out, ended)
        except (DrillStoreError, InjectRefused, ValueError) as error:
            bar.stop()
            fail(f"refused: {error}", 2)
    if not shown:
        show(report, where, out)
    if report.failed:
        raise typer.Exit(1)


def _run(scenario, store, database_url, speed, serve, host, port, via, tokens, step, out, on_done=None):  # noqa: ANN001, ANN202
    if via:
        import httpx

        from scenarios.via import run_via

        with httpx.Client(base_url=via.rstrip("/"), timeout=30) as client:
            try:
                return run_via(scenario, client, tokens, speed=speed, on_step=step), via
            except httpx.HTTPError as error:
                raise ValueError(f"cannot reach the server at {via}: {error}") from None
    from scenarios.local import run_in_store
    from api.drill_serving import Serve
    from scenarios.store import redacted

    serving = Serve(host, port, on_ready=lambda url: out.print(f"[green]map of the drill:[/] {url}"), on_done=on_done) if serve else None
    report, where = run_in_store(scenario, store, speed=speed, serve=serving, on_step=step, database_url=database_url)
    return report, f"{where} (events in {redacted(database_url)})" if database_url else where


def show(report: DrillReport, where: object, out: Console) -> None:
    from scenarios.expectations import describe

    out.print(f"drill {report.run}: {report.injects} injects of “{report.scenario.name}” into {where}")
    table = Table(title="expectations", show_lines=False)
    for column in ("#", "at", "line", "what", "expected", "actual", ""):
        table.add_column(column)
    for outcome in report.outcomes:
        for check in outcome.checks:
            mark = "[green]held[/]" if check.held else "[red]NOT HELD[/]"
            table.add_row(str(outcome.number), outcome.at, str(outcome.line), check.key,
                          describe(check.expected), describe(check.actual), mark)
    if report.outcomes:
        out.print(table)
    held = len(report.outcomes) - len(report.failed)
    colour = "green" if not report.failed else "red"
    out.print(f"[{colour}]{held} of {len(report.outcomes)} expectations held[/]")


@drill_cli.command("export")
def drill_export(
    store: Annotated[Path, typer.Argument(help="a drill store, or the live data directory (its PostgreSQL record when LIANFANG_DATABASE_URL is set)")],
    output: Annotated[Optional[Path], typer.Option("-o", "--output", help="the scenario file to write (default: print it)")] = None,
    allow_remote_store: Annotated[bool, typer.Option("--allow-remote-store", help=REMOTE_STORE_HELP)] = False,
) -> None:
    """Write a store's record back out as a scenario file, so a real incident's handling can be drilled."""
    from scenarios.export import ExportError, export, export_text

    try:
        if output is None:
            typer.echo(export_text(store, allow_remote_store=allow_remote_store))
        else:
            export(store, output, allow_remote_store)
            typer.echo(f"wrote {output}")
    except ExportError as error:
        fail(str(error), 2)


@cli.command("review")
def review(
    store: Annotated[Path, typer.Argument(help="a drill store, or the live data directory (its PostgreSQL record when LIANFANG_DATABASE_URL is set)")],
    at: Annotated[Optional[str], typer.Option(help="as it stood at this ISO-8601 time (with offset), or +HH:MM from a drill's start")] = None,
    html: Annotated[Optional[Path], typer.Option(help="write the after-action report (复盘报告) as one self-contained HTML file")] = None,
    allow_remote_store: Annotated[bool, typer.Option("--allow-remote-store", help=REMOTE_STORE_HELP)] = False,
) -> None:
    """The after-action review (复盘) of a store: a text summary, or a full HTML report."""
    from scenarios.review import ReviewError, replay, summary

    try:
        record = replay(store, at, allow_remote_store)
    except ReviewError as error:
        fail(str(error), 2)
    if html is None:
        typer.echo(summary(record))
        return
    from scenarios.review_html import render

    html.write_text(render(record), encoding="utf-8")
    typer.echo(f"wrote {html}")
