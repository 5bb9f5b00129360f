"""Which file holds each read model: a pointer, so a rebuilt model can replace the live one (blue/green)."""
from __future__ import annotations

import json
import os
from pathlib import Path

POINTER = "current.json"


def model_file(directory: Path, name: str) -> Path:
    pointer = Path(directory) / POINTER
    if pointer.is_file():
        chosen = json.loads(pointer.read_text()).get(name)
        if chosen:
            return Path(directory) / chosen
    return Path(directory) / f"{name}.sqlite"


def switch_to(directory: Path, name: str, filename: str) -> None:
    """Point `name` at `filename`, atomically (write beside, then rename)."""
    pointer = Path(directory) / POINTER
    current = json.loads(pointer.read_text()) if pointer.is_file() else {}
    current[name] = filename
    scratch = pointer.with_suffix(".tmp")
    scratch.write_text(json.dumps(current, indent=1))
    os.replace(scratch, pointer)


def next_version(directory: Path, name: str) -> str:
    taken = {p.name for p in Path(directory).glob(f"{name}.v*.sqlite")}
    n = 1
    while f"{name}.v{n}.sqlite" in taken:
        n += 1
    return f"{name}.v{n}.sqlite"
