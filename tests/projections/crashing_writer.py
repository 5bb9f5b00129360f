"""A writer and its read side in one process, forever, for the crash test to kill at random moments.

    python crashing_writer.py DATA_DIR SEED

Each round commits a small batch of random commands, projects them, and sometimes checkpoints;
it prints the read side's position after each round.
"""
from __future__ import annotations

import random
import sys
from pathlib import Path

from domain.application import Coordination
from domain.application.eventstore import store_env
from domain.application.settings import Settings
from domain.application.writer import run_batch
from projections.geography import Geography
from projections.runner import Projections

from story_commands import RandomChoice, plot_from_read_side


def main(data_dir: Path, seed: int) -> None:
    settings = Settings(data_dir=data_dir, checkpoint_every=7)
    app = Coordination(store_env(settings))
    read_side = Projections(app, settings, Geography.load(settings.geography_file), data_dir / "projections")
    read_side.catch_up()
    plot = plot_from_read_side(read_side.map.state, read_side.ledger.state, app.clock.now)
    choose, rng = RandomChoice(seed), random.Random(seed)
    while True:
        commands = [plot.next(choose) for _ in range(rng.randint(1, 4))]
        for command, outcome in zip(commands, run_batch(app, commands)):
            plot.took(command, outcome)
        read_side.run_once()
        if rng.random() < 0.3:
            read_side.checkpoint()
        print(read_side.position, flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]))
