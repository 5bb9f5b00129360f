"""`lianfang setup FILE --check`: every problem with its file and line, exit 2, and nothing written."""
from __future__ import annotations

from pathlib import Path

from domain.catalogue import WHERE_DECLARED


def problems(output: str) -> list[str]:
    return [line for line in output.splitlines() if ":" in line and not line.startswith(("1 problem", "2 problem"))]


def test_a_good_file_checks_ok_and_writes_nothing(county, setup, data_dir):
    result = setup(county.path, "--check")
    assert result.exit_code == 0, result.output
    assert "ok (30 units, 200 resources, 100 people)" in result.output
    assert not (data_dir / "lianfang.sqlite").exists() and not any(data_dir.glob("*.sqlite*"))


def test_a_bad_unit_in_yaml_is_reported_with_its_line(county, setup):
    county.units[4]["kind"] = "bureau"
    path = county.write()
    line = next(n for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1) if "bureau" in text)
    result = setup(path, "--check")
    assert result.exit_code == 2
    assert f"{path}:{line}: units[4]: kind: must be 'department' or 'township', not 'bureau'" in result.output


def test_a_bad_resource_row_in_csv_is_reported_with_its_row_and_an_unknown_kind_says_where_kinds_are_declared(county, setup):
    county.resources[9]["kind"] = "helicopter"
    county.resources[20]["lat"] = "thirty"
    county.write()
    result = setup(county.path, "--check")
    assert result.exit_code == 2
    csv_path = county.directory / "resources.csv"
    # The header is line 1: resource n is on line n + 2.
    assert f"{csv_path}:11: resource {county.resources[9]['name']}: resource kind 'helicopter' is unknown; {WHERE_DECLARED}" in result.output
    assert "Add it under kinds: resource: in county.yaml" in result.output
    assert f"{csv_path}:22: resources: position.1:" in result.output


def test_unknown_fields_people_without_units_and_duplicate_names_are_each_reported(county, setup):
    county.units[0]["leader"] = "王局长"
    county.people[0]["unit"] = ""
    county.resources[1]["name"] = county.resources[0]["name"]
    county.write()
    result = setup(county.path, "--check")
    assert result.exit_code == 2
    out = result.output
    assert "units[0]: leader: unknown field" in out
    assert f"people.csv:2: person {county.people[0]['name']}: a field needs a unit" in out
    assert f"resources.csv:3: resource {county.resources[0]['name']} is named twice (first at resources.csv:2)" in out


def test_a_jurisdiction_not_in_the_geography_and_broken_yaml_are_reported(county, setup, tmp_path):
    county.units[0]["jurisdiction"] = "999999"
    county.write()
    assert "jurisdiction '999999' is not a code of 示范县" in setup(county.path, "--check").output
    broken = tmp_path / "broken.yaml"
    broken.write_text("county:\n  name: 示范县\nunits:\n  - {name: x, kind: department\n", encoding="utf-8")
    result = setup(broken, "--check")
    assert result.exit_code == 2 and f"{broken}:5: not valid YAML" in result.output


def test_a_refused_file_is_not_applied_either(county, setup, data_dir):
    county.units[0]["kind"] = "bureau"
    county.write()
    assert setup(county.path).exit_code == 2
    assert not any(Path(data_dir).glob("*.sqlite*"))


def test_the_help_shows_what_the_file_looks_like(setup, tmp_path):
    from typer.testing import CliRunner

    from api.cli import cli

    shown = CliRunner().invoke(cli, ["setup", "--help"]).output
    for part in ("county:", "kinds:", "units:", "resources:", "people:", "name,kind,unit,lon,lat,capacity,quantity", "--check", "--reissue"):
        assert part in shown
