"""`odq schedule` over loopback replays of the real Tokyo catalogue: a due portal is harvested, assessed and reported
once; a portal whose lock a live process holds is skipped and the others go on; SIGTERM and --max-runtime end it
cleanly. `odq assess --all` and `odq report --all` over two portals, one failing. SQLite and PostgreSQL."""

from __future__ import annotations

import gzip
import itertools
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from checks.results import Results
from harvester.schedule import last_due_time
from harvester.store import HarvestRow, Store
from odq.cli import app
from odq.replay import ReplayServer, catalogue_from_packages, load_jsonl_envelopes
from odq.replay_faults import FaultyCkanServer, WireFaults
from odq.scheduler import CronUtcTrigger
from tests.conftest import PROJECT_ROOT, ckan_profile, real_fixture
from tests.databases import BACKENDS, fresh_database

# Tokyo's first 600 recorded packages: the first portal serves 250 of them, the second the other 350.
ONE, TWO = 250, 350
OFFLINE = ("--no-links", "--no-files")  # the replayed records link to Tokyo's real servers: nothing is fetched


@pytest.fixture(scope="module")
def packages() -> list[dict]:
    path = real_fixture("ckan_catalog.data.metro.tokyo.lg.jp", "package_show_all.jsonl.gz")
    with gzip.open(path) as handle:
        return load_jsonl_envelopes(itertools.islice(handle, ONE + TWO))


@pytest.fixture(scope="module")
def servers(packages):
    with ReplayServer(catalogue_from_packages(packages[:ONE])) as one, \
            ReplayServer(catalogue_from_packages(packages[ONE:])) as two:
        yield {"one": one, "two": two}


def _slot_two_hours_ago() -> str:
    """A daily schedule that last fired about two hours ago: due until harvested, then not again for ~22 hours,
    whatever the time the test runs (a fixed hour would make the second run due again near midnight)."""
    return f"0 {(datetime.now(UTC).hour - 2) % 24} * * *"


@pytest.fixture
def profiles(tmp_path, monkeypatch, servers):
    """Profile files for the two portals, first on the profile search path (ODQ_PROFILES)."""
    directory = tmp_path / "profiles"
    directory.mkdir()
    for portal_id, server in servers.items():
        profile = ckan_profile(server.base, portal_id, schedule=_slot_two_hours_ago())
        (directory / f"{portal_id}.yaml").write_text(json.dumps(profile))  # JSON is YAML
    monkeypatch.setenv("ODQ_PROFILES", str(directory))
    return directory


@pytest.fixture(params=BACKENDS)
def url(request, tmp_path):
    with fresh_database(request.param, tmp_path) as database:
        yield database


def _odq(*args: str | Path) -> tuple[int, list[str]]:
    result = CliRunner().invoke(app, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert "Traceback" not in result.output
    return result.exit_code, [line for line in result.output.splitlines() if line.strip()]


def _lines_of(lines: list[str], portal_id: str) -> list[str]:
    """The job lines of one portal, without their UTC timestamp: 'PORTAL STEP STATUS: detail'."""
    stamp = len("2026-12-03T06:00:00Z ")
    return [line[stamp:] for line in lines if line[stamp:].startswith(f"{portal_id} ")]


# ------------------------------------------------------------------------------------------ schedule --once


def test_a_due_portal_is_harvested_assessed_and_reported_once(profiles, url, tmp_path):
    out = tmp_path / "reports"
    code, lines = _odq("schedule", "--once", "--db", url, "--out", out, "--portals", "one", *OFFLINE)
    assert code == 0, lines
    one = _lines_of(lines, "one")
    assert [line.split(":")[0] for line in one] == ["one harvest complete", "one assess done", "one report done"]
    store = Store(url)
    harvests = store.harvests("one")
    assert [(h.status, h.datasets) for h in harvests] == [("complete", ONE)]
    assert one[0].startswith(f"one harvest complete: harvest #{harvests[0].id}: {ONE} datasets")
    assert Results(store).measures(harvests[0].id) and Results(store).scores(harvests[0].id)
    report = orjson.loads((out / "one" / "report.json").read_bytes())
    assert (report["portal"]["id"], report["harvest"]["id"], report["harvest"]["datasets"]) == (
        "one", harvests[0].id, ONE)
    assert one[2] == f"one report done: {(out / 'one' / 'index.html').resolve()}"
    assert store.portal("two") is None  # not named in --portals

    # Right after, it is no longer due: nothing runs.
    code, lines = _odq("schedule", "--once", "--db", url, "--out", out, "--portals", "one", *OFFLINE)
    assert (code, lines) == (0, ["no portal is due (1 scheduled)"])
    assert len(store.harvests("one")) == 1
    store.engine.dispose()


def test_a_portal_locked_by_a_live_process_is_skipped_and_the_others_run(profiles, url):
    store = Store(url)
    assert store.acquire_harvest_lock("two", "the test's own harvest") is None  # this live process holds it
    code, lines = _odq("schedule", "--once", "--db", url, "--portals", "one,two", *OFFLINE)
    assert code == 0, lines  # a skip is not a failure: the other holder is harvesting it
    skipped = _lines_of(lines, "two")
    assert len(skipped) == 1, lines
    assert skipped[0].startswith(f"two harvest skipped: portal 'two' is already being harvested by pid {os.getpid()}")
    assert store.harvests("two") == []
    assert store.harvest_lock("two").owner == "the test's own harvest"  # untouched
    assert [line.split(":")[0] for line in _lines_of(lines, "one")] == ["one harvest complete", "one assess done"]
    assert [h.datasets for h in store.harvests("one")] == [ONE]

    # A skip is not an attempt: once the lock is free, the portal is still due and is harvested.
    store.release_harvest_lock("two", "the test's own harvest")
    code, lines = _odq("schedule", "--once", "--db", url, "--portals", "one,two", *OFFLINE)
    assert code == 0, lines
    assert _lines_of(lines, "one") == []  # harvested above: not due
    assert [line.split(":")[0] for line in _lines_of(lines, "two")] == ["two harvest complete", "two assess done"]
    assert [(h.status, h.datasets) for h in store.harvests("two")] == [("complete", TWO)]
    store.engine.dispose()


def test_unknown_or_unscheduled_portals_are_one_line(profiles, tmp_path):
    db = f"sqlite:///{tmp_path / 'odq.sqlite'}"
    result = CliRunner().invoke(app, ["schedule", "--once", "--db", db, "--portals", "one,nosuch"])
    assert result.exit_code == 2
    assert result.output.strip() == ("error: --portals: no portal profile with id 'nosuch' on the profile search "
                                     "path")
    profile = json.loads((profiles / "two.yaml").read_text())
    del profile["schedule"]
    (profiles / "two.yaml").write_text(json.dumps(profile))
    result = CliRunner().invoke(app, ["schedule", "--once", "--db", db, "--portals", "two"])
    assert result.exit_code == 2
    assert result.output.strip() == "error: --portals: 'two' has no `schedule` in its profile"


# ------------------------------------------------------------------------------------------ the trigger


def test_the_trigger_reads_cron_as_cron_does_in_utc():
    trigger = CronUtcTrigger("0 3 * * 1")  # Mondays 03:00
    sunday_noon_in_shanghai = datetime.fromisoformat("2026-11-22T20:00:00+08:00")  # 12:00 UTC
    assert trigger.get_next_fire_time(None, sunday_noon_in_shanghai) == datetime(2026, 11, 23, 3, tzinfo=UTC)
    # Day of month OR day of week, as cron and is_due read it: Monday the 30th, then Tuesday the 1st.
    either = CronUtcTrigger("0 3 1 * 1")
    first = either.get_next_fire_time(None, datetime(2026, 11, 23, 4, tzinfo=UTC))
    assert first == datetime(2026, 11, 30, 3, tzinfo=UTC)
    assert either.get_next_fire_time(first, first) == datetime(2026, 12, 1, 3, tzinfo=UTC)
    # Each fire time is the slot is_due measures from.
    assert last_due_time("0 3 1 * 1", datetime(2026, 11, 30, 3, 0, 1)) == datetime(2026, 11, 30, 3)
    weekly = CronUtcTrigger("@weekly")  # Sundays 00:00
    assert weekly.get_next_fire_time(None, datetime(2026, 11, 25, tzinfo=UTC)) == datetime(2026, 11, 29, tzinfo=UTC)


# ------------------------------------------------------------------------------------------ the long-running mode


def _spawn(*args: str | Path, env_extra: dict[str, str]) -> subprocess.Popen:
    env = {**os.environ, **env_extra,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")]))}
    return subprocess.Popen([sys.executable, "-m", "odq.cli", *map(str, args)], env=env, cwd=PROJECT_ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_max_runtime_lets_the_running_job_finish(profiles, tmp_path):
    db = f"sqlite:///{tmp_path / 'odq.sqlite'}"
    schedule = json.loads((profiles / "one.yaml").read_text())["schedule"]
    process = _spawn("schedule", "--db", db, "--portals", "one", "--max-runtime", "3", *OFFLINE,
                     env_extra={"ODQ_PROFILES": str(profiles)})
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    assert "Traceback" not in err and err.strip() == "", err
    lines = out.splitlines()
    assert lines[0].startswith(f"one scheduled '{schedule}' (UTC): next run ")  # due: runs at once
    assert [line.split(":")[0] for line in _lines_of(lines, "one")] == ["one harvest complete", "one assess done"]
    assert lines[-1] == "schedule ended: the max runtime of 3 s passed"
    assert [h.datasets for h in Store(db).harvests("one")] == [ONE]


@pytest.mark.parametrize("mode", [(), ("--once",)], ids=["long-running", "once"])
def test_sigterm_interrupts_the_running_harvest_and_exits_143(packages, tmp_path, mode):
    catalogue = catalogue_from_packages(packages)
    with FaultyCkanServer(catalogue, wire=WireFaults(slow_seconds=0.5)) as server:
        directory = tmp_path / "profiles"
        directory.mkdir()
        profile = ckan_profile(server.base, "slow", schedule="@daily", options={"page_size": 50})
        (directory / "slow.yaml").write_text(json.dumps(profile))
        db = f"sqlite:///{tmp_path / 'odq.sqlite'}"
        store = Store(db)
        process = _spawn("schedule", *mode, "--db", db, "--portals", "slow", *OFFLINE,
                         env_extra={"ODQ_PROFILES": str(directory)})
        deadline = time.monotonic() + 120
        while not _running(store, "slow"):  # 12 pages of 0.5 s: the listing is well under way when it is stopped
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the scheduled harvest never started"
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=120)
    assert process.returncode == 143, (out, err)
    assert "Traceback" not in err and err.strip() == "", err
    slow = _lines_of(out.splitlines(), "slow")
    assert slow == ["slow harvest interrupted: stopped by SIGTERM; the last complete harvest stays current"], out
    assert out.splitlines()[-1] == "schedule stopped by SIGTERM"
    [harvest] = store.harvests("slow")
    assert harvest.status == "interrupted" and "stopped by SIGTERM" in harvest.info["interrupted"]
    assert store.harvest_lock("slow") is None


def _running(store: Store, portal_id: str) -> bool:
    with store.engine.connect() as conn:
        return conn.execute(HarvestRow.__table__.select().where(
            HarvestRow.portal_id == portal_id, HarvestRow.status == "running")).first() is not None


# ------------------------------------------------------------------------------------------ --all


def test_assess_and_report_all_go_on_past_a_failing_portal(servers, url, tmp_path, monkeypatch):
    from odq.pipeline import harvest_portal

    store = Store(url)
    for portal_id, server in servers.items():
        assert harvest_portal(ckan_profile(server.base, portal_id), store).status == "complete"
    current = {portal_id: store.current_harvest(portal_id).id for portal_id in servers}

    import odq.pipeline

    real_assess = odq.pipeline.assess_harvest

    def one_breaks(store, portal, http, **kwargs):
        if portal["id"] == "one":
            raise RuntimeError("a broken check")
        return real_assess(store, portal, http, **kwargs)

    monkeypatch.setattr(odq.pipeline, "assess_harvest", one_breaks)
    code, lines = _odq("assess", "--all", "--db", url, *OFFLINE)
    assert code == 1, lines
    assert lines[0] == "one assess failed: RuntimeError: a broken check"
    assert lines[1].startswith(f"two assess done: harvest #{current['two']}: ")
    assert lines[2:] == ["1 of 2 portals assessed, 1 failed"]

    out = tmp_path / "site"
    code, lines = _odq("report", "--all", "--out", out, "--db", url)
    assert code == 1, lines
    assert lines == ["one report failed: the current harvest of 'one' is not assessed: run `odq assess one`",
                     f"two report done: {(out / 'two' / 'index.html').resolve()}",
                     "1 of 2 portals reported, 1 failed"]
    assert not (out / "one").exists()

    monkeypatch.setattr(odq.pipeline, "assess_harvest", real_assess)
    code, lines = _odq("assess", "--all", "--db", url, *OFFLINE)
    assert code == 0, lines
    assert lines[-1] == "2 of 2 portals assessed"
    code, lines = _odq("report", "--all", "--out", out, "--db", url)
    assert code == 0, lines
    for portal_id, datasets in (("one", ONE), ("two", TWO)):
        report = orjson.loads((out / portal_id / "report.json").read_bytes())
        assert (report["portal"]["id"], report["harvest"]["id"], report["harvest"]["datasets"]) == (
            portal_id, current[portal_id], datasets)
        assert report["scores"]
    store.engine.dispose()


def test_all_and_a_portal_together_are_refused(tmp_path):
    db = f"sqlite:///{tmp_path / 'odq.sqlite'}"
    for args in (["assess", "one", "--all"], ["report", "one", "--all", "--out", str(tmp_path / "r")]):
        result = CliRunner().invoke(app, [*args, "--db", db])
        assert (result.exit_code, result.output.strip()) == (2, "error: give a portal or --all, not both")
    result = CliRunner().invoke(app, ["assess", "--db", db])
    assert (result.exit_code, result.output.strip()) == (2, "error: name a portal, or use --all")
    result = CliRunner().invoke(app, ["assess", "--all", "--db", db])
    assert result.exit_code == 0  # an empty store: nothing to assess is not a failure
