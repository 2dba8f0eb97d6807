"""What a user sees when they get something wrong on the command line: one line naming the option, the value and
what was expected, exit status 2, no traceback — in process and from the installed `odq` script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from odq.cli import app
from tests.conftest import ckan_profile, real_fixture, reference_fixture

EXPECTED_DB = "expected sqlite:///PATH or postgresql+psycopg://USER@HOST/DATABASE"
PROJECT_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _in_a_scratch_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # relative --out paths land here, never in the project


def odq_script() -> Path:
    """The console script installed beside the interpreter running the tests."""
    script = Path(sys.executable).with_name("odq")
    if not script.exists():
        pytest.fail(f"the odq console script is not installed beside {sys.executable}")
    return script


def run_odq(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "COLUMNS": "80", "NO_COLOR": "1"}
    env.pop("ODQ_DATABASE_URL", None)
    return subprocess.run([str(odq_script()), *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=120)


def one_error(output: str) -> str:
    """The single line of a failed command; it must be the whole output and carry no traceback."""
    assert "Traceback" not in output and "╭" not in output, output
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert lines[0].startswith("error: "), output
    return lines[0].removeprefix("error: ")


def invoke(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    return one_error(result.output)


@pytest.fixture(scope="module")
def assessed(tmp_path_factory):
    """A store with one assessed city portal (the real Birmingham purchase-card listing), so that report and
    export reach the point of writing."""
    from checks.assess import AssessOptions
    from harvester.run import run_harvest
    from harvester.store import Store
    from odq.pipeline import assess_and_score, make_http
    from odq.replay import ReplayServer, catalogue_from_packages

    envelope = json.loads(real_fixture("ckan_data.birmingham.gov.uk", "package_search_q_purchase_card.json")
                          .read_text(encoding="utf-8"))
    directory = tmp_path_factory.mktemp("cli-errors")
    url = f"sqlite:///{directory / 'odq.sqlite'}"
    store = Store(url)
    with ReplayServer(catalogue_from_packages(envelope["result"]["results"])) as server:
        profile = ckan_profile(server.base, "birmingham")
        http = make_http(profile)
        assert run_harvest(profile, store, http).status == "complete"
        assess_and_score(store, profile, http, AssessOptions(check_links=False, validate_files=False))
    a_file = directory / "a-file.txt"
    a_file.write_text("not a directory\n", encoding="utf-8")
    return {"url": url, "dir": directory, "file": a_file}


# ---------------------------------------------------------------- --db


@pytest.mark.parametrize(("url", "expected"), [
    ("nosuch://x", f"--db nosuch://x: unknown kind of database 'nosuch'; {EXPECTED_DB}"),
    ("nosuch", f"--db nosuch: not a database URL (Could not parse SQLAlchemy URL from given URL string); "
               f"{EXPECTED_DB}"),
    ("sqlite:////nonexistent/dir/x.sqlite",
     "--db sqlite:////nonexistent/dir/x.sqlite: cannot open the SQLite database: the directory /nonexistent/dir "
     "does not exist"),
])
@pytest.mark.parametrize("command", [["assess", "birmingham"], ["report", "birmingham", "--out", "r"],
                                     ["export", "--system", "cstc2019-website", "--level", "city", "--out", "x.csv"]])
def test_a_bad_db_url_is_one_line_for_every_command(url, expected, command):
    assert invoke(*command, "--db", url) == expected


def test_a_sqlite_path_under_a_regular_file_is_named(assessed):
    url = f"sqlite:///{assessed['file']}/odq.sqlite"
    assert invoke("assess", "birmingham", "--db", url) == (
        f"--db {url}: cannot open the SQLite database: {assessed['file']} is a file, not a directory")


def test_a_file_that_is_not_a_database_is_named(assessed):
    url = f"sqlite:///{assessed['file']}"
    assert invoke("assess", "birmingham", "--db", url) == (
        f"--db {url}: cannot open the SQLite database: file is not a database")


def test_the_database_url_from_the_environment_is_named_as_such(monkeypatch):
    monkeypatch.setenv("ODQ_DATABASE_URL", "nosuch://x")
    assert invoke("assess", "birmingham") == (
        f"ODQ_DATABASE_URL nosuch://x: unknown kind of database 'nosuch'; {EXPECTED_DB}")


def test_a_password_in_the_db_url_is_never_printed(monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)
    message = invoke("assess", "birmingham", "--db", "postgresql://odq:s3cret@localhost/odq")
    assert "s3cret" not in message and "odq:***@localhost" in message


@pytest.mark.parametrize("url", ["postgresql://odq@localhost/odq", "postgresql+psycopg://odq@localhost/odq"])
def test_a_missing_postgresql_driver_says_which_extra_to_install(monkeypatch, url):
    monkeypatch.setitem(sys.modules, "psycopg", None)  # what `import psycopg` does when the extra is not installed
    assert invoke("assess", "birmingham", "--db", url) == (
        f"--db {url}: the PostgreSQL driver (psycopg) is not installed; install the postgres extra: "
        "pip install 'odq[postgres]'")


def test_an_unreachable_postgresql_server_is_one_line():
    # Port 1 on loopback: nothing listens, the connection is refused at once.
    message = invoke("assess", "birmingham", "--db", "postgresql+psycopg://odq@127.0.0.1:1/odq")
    assert message.startswith("--db postgresql+psycopg://odq@127.0.0.1:1/odq: cannot connect to the database: ")
    assert "port 1 failed" in message


def test_a_bad_db_url_from_the_installed_script(tmp_path):
    result = run_odq("assess", "birmingham", "--db", "nosuch://x", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert one_error(result.stderr) == f"--db nosuch://x: unknown kind of database 'nosuch'; {EXPECTED_DB}"
    result = run_odq("export", "--system", "cstc2019-website", "--level", "city", "--out", "x.csv",
                     "--db", "sqlite:////nonexistent/dir/x.sqlite", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert one_error(result.stderr) == ("--db sqlite:////nonexistent/dir/x.sqlite: cannot open the SQLite "
                                        "database: the directory /nonexistent/dir does not exist")
    assert not (tmp_path / "x.csv").exists()


# ---------------------------------------------------------------- --out


def test_report_into_a_path_under_a_regular_file_is_one_line(assessed):
    out = assessed["file"] / "report"
    assert invoke("report", "birmingham", "--out", str(out), "--db", assessed["url"]) == (
        f"--out {out}: cannot write there: {assessed['file']} is a file, not a directory")
    assert assessed["file"].read_text(encoding="utf-8") == "not a directory\n"  # nothing overwritten


@pytest.mark.parametrize("name", ["scores.csv", "scores.xlsx", "scores.json"])
def test_export_into_a_path_under_a_regular_file_is_one_line(assessed, name):
    out = assessed["file"] / "sub" / name
    assert invoke("export", "--system", "cstc2019-website", "--level", "city", "--out", str(out),
                  "--db", assessed["url"]) == (
        f"--out {out}: cannot write there: {assessed['file']} is a file, not a directory")


def test_export_onto_a_directory_is_one_line(assessed):
    out = assessed["dir"] / "taken.csv"
    out.mkdir()
    assert invoke("export", "--system", "cstc2019-website", "--level", "city", "--out", str(out),
                  "--db", assessed["url"]) == f"--out {out}: cannot write there: {out} is a directory"


def test_an_unwritable_out_from_the_installed_script(assessed, tmp_path):
    out = assessed["file"] / "scores.csv"
    result = run_odq("export", "--system", "cstc2019-website", "--level", "city", "--out", str(out),
                     "--db", assessed["url"], cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert one_error(result.stderr) == f"--out {out}: cannot write there: {assessed['file']} is a file, not a directory"
    report = run_odq("report", "birmingham", "--out", str(out), "--db", assessed["url"], cwd=tmp_path)
    assert report.returncode == 2, report.stderr
    assert one_error(report.stderr) == f"--out {out}: cannot write there: {assessed['file']} is a file, not a directory"


def test_every_output_option_is_named_when_it_cannot_be_written(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    assert invoke("demo", "--workdir", str(blocker / "demo")) == (
        f"--workdir {blocker / 'demo'}: cannot write there: {blocker} is a file, not a directory")
    assert invoke("portals", "import-cnpds", str(reference_fixture("cnpds")), "--out", str(blocker / "p")) == (
        f"--out {blocker / 'p'}: cannot write there: {blocker} is a file, not a directory")


def test_the_same_commands_succeed_with_a_writable_out(assessed):
    # The failures above are about the path: with a good one the same store reports and exports.
    out = assessed["dir"] / "ok"
    result = CliRunner().invoke(app, ["report", "birmingham", "--out", str(out / "report"), "--db", assessed["url"]])
    assert result.exit_code == 0, result.output
    assert (out / "report" / "index.html").is_file()
    result = CliRunner().invoke(app, ["export", "--system", "cstc2019-website", "--level", "city",
                                      "--out", str(out / "scores.csv"), "--db", assessed["url"]])
    assert result.exit_code == 0, result.output
    assert "birmingham" in (out / "scores.csv").read_text(encoding="utf-8-sig")


# ---------------------------------------------------------------- --level, unknown portals


def test_an_unknown_level_is_refused_before_anything_is_written(assessed):
    out = assessed["dir"] / "ctiy.csv"
    assert invoke("export", "--system", "cstc2019-website", "--level", "ctiy", "--out", str(out),
                  "--db", assessed["url"]) == ("--level: expected one of ministry, province, sub-provincial, "
                                               "provincial-capital, city, county, got 'ctiy'")
    assert not out.exists()


def test_an_unknown_portal_is_one_line(assessed, tmp_path, monkeypatch):
    url = assessed["url"]
    assert invoke("assess", "nosuch", "--db", url) == (
        f"unknown portal 'nosuch' in {url}: harvest it first (`odq harvest nosuch`)")
    assert invoke("report", "nosuch", "--out", str(tmp_path / "r"), "--db", url) == (
        "unknown portal 'nosuch': harvest it first")
    assert not (tmp_path / "r").exists()
    empty = tmp_path / "profiles"
    empty.mkdir()
    monkeypatch.setenv("ODQ_PROFILES", str(empty))
    message = invoke("harvest", "nosuch-portal", "--db", url)
    assert message.startswith("no portal profile with id 'nosuch-portal' in ") and str(empty) in message


# ---------------------------------------------------------------- profiles through the root


def test_a_broken_facts_file_is_one_line_naming_file_and_key(assessed, tmp_path):
    facts = tmp_path / "facts.yaml"
    facts.write_text("facts:\n  - portal: birmingham\n    portal: again\n", encoding="utf-8")
    assert invoke("assess", "birmingham", "--facts", str(facts), "--db", assessed["url"]) == (
        f"{facts}: duplicate key 'facts.0.portal' (line 3): expected each key once per mapping (first on line 2)")


def test_an_error_the_user_did_not_cause_still_shows_its_traceback(monkeypatch, assessed):
    # The root turns known mistakes into one line; a bug must stay visible, not be dressed as a user error.
    import odq.pipeline

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(odq.pipeline, "report", broken)
    result = CliRunner().invoke(app, ["report", "birmingham", "--out", "r", "--db", assessed["url"]])
    assert isinstance(result.exception, ZeroDivisionError)
