"""Hostile input: a scenario file is data, never code (issue 15, item 5). Aliases that expand without end, tags that
name Python, and nesting beyond reason are refused by `lianfang drill run` with the line and exit status 2, quickly,
within a memory cap, and nothing runs."""
from __future__ import annotations

from pathlib import Path

import pytest

from reliability.hostile.served import lianfang

HEAD = "scenario: 数据而非代码\nstart: 2026-03-01T08:00:00+08:00\n"
BOMB = HEAD + "lol: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"l{n}: &{chr(98 + n)} [{', '.join([f'*{chr(97 + n)}'] * 9)}]\n" for n in range(8))
CASES = {
    "alias-bomb": (BOMB, 4, "alias"),
    "recursive-alias": (HEAD + "actors: &r\n  cmd: {role: commander, name: a, again: *r}\n", 4, "alias"),
    "python-name": (HEAD + "geography: !!python/name:os.system demo\n", 3, "tag"),
    "python-apply": (HEAD + "geography: !!python/object/apply:os.system [\"touch {marker}\"]\n", 3, "tag"),
    "nested-100": (HEAD + "actors: " + "[" * 100 + "]" * 100 + "\n", 3, "nesting depth"),
    "5000-digits": (HEAD + f"actors: {{cmd: {{role: commander, name: {'7' * 5000}}}}}\n", 3, "too large"),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_a_hostile_scenario_is_refused_at_its_line_quickly_and_runs_nothing(tmp_path: Path, case: str) -> None:
    text, line, words = CASES[case]
    marker = tmp_path / "ran"
    path = tmp_path / "hostile.yaml"
    path.write_text(text.replace("{marker}", str(marker)), encoding="utf-8")
    ran = lianfang("drill", "run", str(path), "--store", str(tmp_path / "store"), timeout=300, capped=True)
    assert ran.status == 2, ran.out[-2000:]
    assert f"hostile.yaml:{line}:" in ran.out and words in ran.out and "Traceback" not in ran.out, ran.out[-2000:]
    # Quickly: no longer than the same command refusing a plain, harmless mistake, measured now on this machine
    # (the command's start-up is most of it; a fixed 15 s failed at load 12). The capped address space above is
    # what an expanded alias bomb would run into.
    plain = tmp_path / "plain.yaml"
    plain.write_text("name: plain\nsteps: 5\n", encoding="utf-8")
    baseline = lianfang("drill", "run", str(plain), "--store", str(tmp_path / "plain-store"), timeout=300, capped=True)
    assert baseline.status == 2, baseline.out[-2000:]
    assert ran.seconds < 2 * baseline.seconds + 5, (ran.seconds, baseline.seconds)
    assert not marker.exists() and not (tmp_path / "store").exists()
