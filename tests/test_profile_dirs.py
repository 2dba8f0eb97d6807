"""Portal profiles outside the package: `odq --profiles DIR`, ODQ_PROFILES and the user directory are searched before
the shipped profiles; `portals list` says where each profile comes from and what it shadows; `harvest` and
`harvest --all` see them; `import-cnpds` writes to the user directory (or --to DIR), never into the package."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from odq.cli import app
from profiles import SHIPPED_PORTALS_DIR
from tests.conftest import ckan_profile, real_fixture, reference_fixture

SHIPPED_TOKYO = SHIPPED_PORTALS_DIR / "tokyo.yaml"


def run_cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "300"})
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def listed(*args: str) -> dict[str, dict]:
    code, output = run_cli(*args, "portals", "list", "--json")
    assert code == 0, output
    return {row["id"]: row for row in json.loads(output)}


def shipped_ids() -> dict[str, Path]:
    return {yaml.safe_load(p.read_text(encoding="utf-8"))["id"]: p for p in sorted(SHIPPED_PORTALS_DIR.glob("*.yaml"))}


def write_profile(directory: Path, stem: str, profile: dict) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{stem}.yaml"
    path.write_text(yaml.safe_dump(profile, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def user_dir(tmp_path, monkeypatch) -> Path:
    config = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    return config / "odq" / "profiles"


@pytest.fixture
def my_tokyo() -> dict:
    """The shipped Tokyo profile as an operator might keep their own copy of it: same id, another name."""
    profile = yaml.safe_load(SHIPPED_TOKYO.read_text(encoding="utf-8"))
    return {**profile, "name": "Tokyo, as we harvest it"}


def test_a_profiles_dir_shadows_the_shipped_profile_and_the_list_says_so(tmp_path, user_dir, my_tokyo):
    mine = tmp_path / "mine"
    write_profile(mine, "tokyo", my_tokyo)
    write_profile(user_dir, "our-city", ckan_profile("https://data.example.org", "our-city", name="我们的城市"))

    rows = listed("--profiles", str(mine))
    tokyo = rows["tokyo"]
    assert tokyo["name"] == "Tokyo, as we harvest it"
    assert (tokyo["origin"], tokyo["directory"], tokyo["path"]) == ("--profiles", str(mine), str(mine / "tokyo.yaml"))
    assert tokyo["shadows"] == [{"origin": "shipped", "path": str(SHIPPED_TOKYO)}]
    ours = rows["our-city"]
    assert (ours["origin"], ours["directory"], ours["name"], ours["shadows"]) == (
        "user", str(user_dir), "我们的城市", [])
    shipped = shipped_ids()
    assert set(rows) == set(shipped) | {"our-city"}  # one row per id: the shadowed Tokyo is not listed twice
    assert all(rows[i]["origin"] == "shipped" and rows[i]["shadows"] == [] for i in shipped if i != "tokyo")

    # Without --profiles the shipped Tokyo is back; the user directory still counts.
    plain = listed()
    assert plain["tokyo"]["origin"] == "shipped" and plain["tokyo"]["name"] != my_tokyo["name"]
    assert plain["our-city"]["origin"] == "user"

    code, table = run_cli("--profiles", str(mine), "portals", "list")
    assert code == 0 and f"(shadows shipped {SHIPPED_TOKYO})" in table and f"--profiles {mine}" in table


def test_profiles_dirs_search_in_order_given_before_the_environment_and_the_user_dir(tmp_path, user_dir, my_tokyo,
                                                                                     monkeypatch):
    first, second, env, = tmp_path / "first", tmp_path / "second", tmp_path / "env"
    for directory, name in ((first, "first"), (second, "second"), (env, "env"), (user_dir, "user")):
        write_profile(directory, "tokyo", {**my_tokyo, "name": name})
    monkeypatch.setenv("ODQ_PROFILES", str(env))

    rows = listed("--profiles", f"{first}{os.pathsep}{second}")  # an os.pathsep list
    assert rows["tokyo"]["name"] == "first"
    assert [s["origin"] for s in rows["tokyo"]["shadows"]] == ["--profiles", "ODQ_PROFILES", "user", "shipped"]
    assert listed("--profiles", str(second), "--profiles", str(first))["tokyo"]["name"] == "second"  # repeatable
    assert listed()["tokyo"]["origin"] == "ODQ_PROFILES"
    monkeypatch.delenv("ODQ_PROFILES")
    assert listed()["tokyo"]["name"] == "user"


def test_a_profiles_dir_that_does_not_exist_is_one_line(tmp_path):
    code, output = run_cli("--profiles", str(tmp_path / "nope"), "portals", "list")
    assert code == 2 and output.strip() == f"error: --profiles {tmp_path / 'nope'}: not a directory"


def test_harvest_finds_a_user_profile_by_its_id(tmp_path, user_dir):
    from odq.replay import ReplayServer, catalogue_from_packages

    envelope = json.loads(real_fixture("ckan_data.birmingham.gov.uk", "package_search_q_purchase_card.json")
                          .read_text(encoding="utf-8"))
    packages = envelope["result"]["results"]
    with ReplayServer(catalogue_from_packages(packages)) as server:
        write_profile(user_dir, "brum", ckan_profile(server.base, "our-birmingham"))
        code, output = run_cli("harvest", "our-birmingham", "--json", "--db", f"sqlite:///{tmp_path / 'odq.sqlite'}")
    assert code == 0, output
    summary = json.loads(output[output.index("{"):])
    assert summary["portal_id"] == "our-birmingham" and summary["datasets"] == len(packages)


def test_harvest_all_takes_the_winning_profile_of_every_id(tmp_path, user_dir, my_tokyo, monkeypatch):
    import odq.pipeline
    from harvester.run import HarvestLocked

    chosen: list[dict] = []

    def record(profiles, *args, **kwargs):  # no portal is fetched: the test is about which profiles are chosen
        chosen.extend(profiles)
        return [HarvestLocked("not harvested in this test") for _ in profiles]

    monkeypatch.setattr(odq.pipeline, "harvest_many", record)
    mine = tmp_path / "mine"
    write_profile(mine, "tokyo", my_tokyo)
    write_profile(user_dir, "our-city", ckan_profile("https://data.example.org", "our-city"))
    code, output = run_cli("--profiles", str(mine), "harvest", "--all", "--json", "--db",
                       f"sqlite:///{tmp_path / 'odq.sqlite'}")
    assert code == 1, output  # every portal "refused" by the stand-in
    by_id = {p["id"]: p for p in chosen}
    assert len(chosen) == len(by_id) == len(shipped_ids()) + 1
    assert by_id["tokyo"]["name"] == "Tokyo, as we harvest it" and "our-city" in by_id


def test_import_cnpds_writes_to_the_user_dir_and_never_shadows_a_shipped_profile(tmp_path, user_dir):
    registry = reference_fixture("cnpds")
    portals = json.loads((registry / "portals.json").read_text(encoding="utf-8"))
    total = sum(1 for cities in portals.values() for entry in cities.values() if entry.get("url"))
    shipped_before = {p.name: p.read_bytes() for p in SHIPPED_PORTALS_DIR.iterdir()}

    code, output = run_cli("portals", "import-cnpds", str(registry), "--json")
    assert code == 0, output
    report = json.loads(output[output.index("{"):])
    assert report["directory"] == str(user_dir) and report["profiles"] == total
    assert {Path(p).parent for p in report["written"]} == {user_dir}
    assert len(report["written"]) + len(report["skipped"]) == total
    assert {p.name: p.read_bytes() for p in SHIPPED_PORTALS_DIR.iterdir()} == shipped_before  # the package untouched
    shipped = shipped_ids()
    same_id = {i for i in report["skipped"] if i in shipped}
    assert same_id and all(report["skipped"][i] == f"id already used by {shipped[i]}" for i in same_id)
    assert not any((user_dir / f"{i}.yaml").exists() for i in shipped)  # a shipped, hand-written profile still wins
    rows = listed()
    assert all(rows[Path(p).stem]["origin"] == "user" for p in report["written"])
    assert all(rows[i]["origin"] == "shipped" for i in shipped)

    elsewhere = tmp_path / "imported"
    code, output = run_cli("portals", "import-cnpds", str(registry), "--to", str(elsewhere), "--json")
    assert code == 0, output
    second = json.loads(output[output.index("{"):])
    # Everything the user directory already holds is on the search path too: nothing new to write.
    assert second["directory"] == str(elsewhere) and second["written"] == []
    assert len(second["skipped"]) == total
