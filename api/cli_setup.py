"""`lianfang setup COUNTY.yaml`: a county's units, kinds, resources and people from one file."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Optional

import typer

from api.cli import DataDir, cli, fail, settings_with

HELP = """Apply a county's setup file: record what it declares, and only what changed since the last apply.

\b
The file (YAML; see "Setting up a county" in the README, and scenarios/county/example-county.yaml):
  county:    {name: 示范县, geography: county.geojson}   # GeoJSON of the jurisdictions (code, name, level, parent), or inline
  kinds:     {resource: {drone_team: {zh: 无人机消杀队, en: drone disinfection team}}, incident: {...}}
  units:     [{name: 县卫健局, kind: department, jurisdiction: "510199"}, ...]   # department | township
  resources: resources.csv   # or a list of {name, kind, unit, position: \\[lon, lat], capacity, quantity}
  people:    people.csv      # or a list of {name, role, unit}; role commander | unit | field | observer
\b
CSV columns: resources: name,kind,unit,lon,lat,capacity,quantity   people: name,role,unit
(paths relative to the file; a unit is named by its name in units).

\b
The file's jurisdictions are in force from the moment it is applied (the map, and ?at= before then, follow).
Things are recognised by name. A unit or resource left out of the file is retired, never deleted. Each new
person gets a one-time enrolment code, printed on an HTML sheet of cards with a QR code (no token is ever
printed); a person left out loses their tokens and unused codes. Exit status: 0 applied (or nothing to
change), 1 when the store refused part of it, 2 when the file is refused (nothing is written)."""


@cli.command("setup", help=HELP)
def setup(
    file: Annotated[Path, typer.Argument(help="the county's setup file (YAML)")],
    check: Annotated[bool, typer.Option("--check", help="validate the file only; print FILE:LINE: message for each problem")] = False,
    reissue: Annotated[Optional[str], typer.Option(help="print a new sheet for this person (their unused code stops working)")] = None,
    sheet: Annotated[Optional[Path], typer.Option(help="where to write the sheet of sign-in cards (default: DATA_DIR/sheets/…html)")] = None,
    base_url: Annotated[str, typer.Option(help="the address phones reach this server at, for the cards' links")] = "",
    expires: Annotated[Optional[str], typer.Option(help="how long the codes stay valid: 12h, 7d (default: the setting enrol_code_hours)")] = None,
    data_dir: DataDir = None,
) -> None:
    from api.enrolments import parse_duration
    from api.setup_apply import Applier
    from api.setup_file import SetupFileError, read_county_file
    from api.setup_sheet import write_sheet
    from api.tokens import open_store
    from projections.geography import Geography, GeographyError

    settings = settings_with(data_dir)
    try:
        duration = parse_duration(expires) if expires else None
    except ValueError as error:
        fail(str(error), 2)
    try:
        fallback = Geography.load(settings.geography_file)
    except GeographyError:
        fallback = None
    try:
        county = read_county_file(file, fallback)
    except SetupFileError as error:
        for problem in error.problems:
            typer.echo(str(problem), err=True)
        fail(f"{len(error.problems)} problem(s) in {file}; nothing was applied", 2)
    if check:
        typer.echo(f"{file}: ok ({len(county.units)} units, {len(county.resources)} resources, {len(county.people)} people)")
        return
    with open_store(settings) as app:
        try:
            outcome = Applier(app, county, settings, expires=duration).apply(reissue)
        except SetupFileError as error:
            for problem in error.problems:
                typer.echo(str(problem), err=True)
            fail(f"{file} does not fit what the store holds; nothing was applied", 2)
    for change in outcome.changes:
        typer.echo(change)
    typer.echo(f"{outcome.recorded} events recorded" if outcome.recorded else "nothing to change: the store already holds this file")
    if outcome.cards:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        path = write_sheet(sheet or Path(settings.data_dir) / "sheets" / f"sign-in-{stamp}.html", county.name,
                           outcome.cards, base_url or f"http://{settings.host}:{settings.port}")
        typer.secho(f"sign-in sheet for {len(outcome.cards)} people: {path}\n"
                    "  each card's code works once, until it expires; print the sheet, hand out the cards, delete the file",
                    fg="green")
    for refusal in outcome.refused:
        typer.secho(refusal, fg="red", err=True)
    if outcome.refused:
        raise typer.Exit(1)
