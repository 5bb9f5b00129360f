"""S1: a county's setup file (30 units, 200 resources, 100 people) applied to a fresh store, then again, then changed.

Each apply is timed whole, as `lianfang setup` runs it: reading and validating the file and its CSVs, reading
the store, recording the differences, and (the first time) writing the sheet of 100 sign-in cards with QR codes.
"""
from __future__ import annotations

import time

from bench.common import Result, fresh_dir
from bench.county_file import move_one, write

NAME, TITLE = "S1", "a county's setup file applied (lianfang setup)"
GOAL = "first apply < 10 s; the same file again records nothing; one moved resource records one event"
FULL, QUICK = (30, 200, 100), (6, 20, 10)


def run(quick: bool = False, scaled: bool = False) -> Result:
    from api.setup_apply import Applier
    from api.setup_file import read_county_file
    from api.setup_sheet import write_sheet
    from domain.application import Coordination
    from domain.application.eventstore import store_env
    from domain.application.settings import Settings

    units, resources, people = QUICK if quick else FULL
    base = fresh_dir("s1")
    path = write(base, units, resources, people)
    settings = Settings(data_dir=base / "var")

    def apply() -> tuple[float, int, int]:
        began = time.perf_counter()
        county = read_county_file(path)
        app = Coordination(store_env(settings))
        try:
            outcome = Applier(app, county, settings).apply()
        finally:
            app.close()
        if outcome.cards:
            write_sheet(base / "sheet.html", county.name, outcome.cards, "https://lianfang.county.example")
        return time.perf_counter() - began, outcome.recorded, len(outcome.cards)

    first_s, first_events, cards = apply()
    again_s, again_events, _ = apply()
    move_one(base)
    change_s, change_events, _ = apply()
    figures = {"units": units, "resources": resources, "people": people, "first_apply_s": round(first_s, 2),
               "first_events": first_events, "cards": cards, "again_s": round(again_s, 2), "again_events": again_events,
               "one_change_s": round(change_s, 2), "one_change_events": change_events}
    met = first_s < 10 and again_events == 0 and change_events == 1
    headline = (f"first apply {first_s:.1f} s ({first_events} events, {cards} cards); again {again_s:.1f} s, "
                f"{again_events} events; one move {change_s:.1f} s, {change_events} event")
    return Result(NAME, TITLE, GOAL, f"{units} units, {resources} resources, {people} people", met, headline, figures)
