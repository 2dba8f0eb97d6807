"""Real `odq harvest` processes against a slow loopback CKAN portal: killed (SIGKILL, SIGTERM) at several
moments, and started twice at once. Progress is read from the database, never guessed from sleeps."""

from __future__ import annotations

import gzip
import itertools
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from harvester.store import HarvestRow, Store
from odq.replay import catalogue_from_packages, load_jsonl_envelopes
from odq.replay_faults import FaultyCkanServer, WireFaults
from tests.conftest import PROJECT_ROOT, real_fixture
from tests.databases import BACKENDS, fresh_database

SERVED = 1200  # the CLI stores batches of 500: a kill can land before, between and after batches
PAGE = 50
SLOW = 0.25  # seconds per listing page while a kill is being timed: 24 pages, about 6 s


@pytest.fixture(scope="module")
def packages() -> list[dict]:
    path = real_fixture("ckan_catalog.data.metro.tokyo.lg.jp", "package_show_all.jsonl.gz")
    by_name: dict[str, dict] = {}
    with gzip.open(path) as handle:
        for package in load_jsonl_envelopes(itertools.islice(handle, SERVED + 100)):
            by_name.setdefault(package["name"], package)
    return list(by_name.values())[:SERVED]


@pytest.fixture(scope="module")
def portal(packages):
    with FaultyCkanServer(catalogue_from_packages(packages), wire=WireFaults()) as server:
        yield server


def _profile_file(tmp_path: Path, server: FaultyCkanServer, portal_id: str) -> Path:
    profile = {"id": portal_id, "name": f"{portal_id} (loopback)", "level": "city", "region": "test",
               "software": "ckan", "url": server.base, "allow_hosts": ["127.0.0.1"],
               "politeness": {"requests_per_second": 10000, "concurrency": 8}, "options": {"page_size": PAGE}}
    path = tmp_path / f"{portal_id}.yaml"
    path.write_text(json.dumps(profile))  # JSON is YAML
    return path


def _odq(*args: str | Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT),
                                                                    os.environ.get("PYTHONPATH")]))}
    return subprocess.Popen([sys.executable, "-m", "odq.cli", *map(str, args)], env=env, cwd=PROJECT_ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _run(*args: str | Path) -> tuple[int, str, str]:
    process = _odq(*args)
    out, err = process.communicate(timeout=300)
    return process.returncode, out, err


def _wait_for(condition: Callable[[], object], what: str, process: subprocess.Popen | None = None) -> object:
    """Poll until condition() is true; a harvest that ends first, or that never gets there, fails the test."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if (value := condition()):
            return value
        if process is not None and process.poll() is not None:
            pytest.fail(f"the harvest ended (exit {process.returncode}) before {what}: {process.stderr.read()}")
        time.sleep(0.02)
    pytest.fail(f"gave up waiting for {what}")


def _running(store: Store, portal_id: str) -> HarvestRow | None:
    with store.engine.connect() as conn:
        row = conn.execute(HarvestRow.__table__.select().where(
            HarvestRow.portal_id == portal_id, HarvestRow.status == "running")).first()
    return row


MOMENTS = {
    # the harvest row exists, nothing stored yet (the first page is still on its way)
    "started": lambda store, harvest_id: store.count_records(harvest_id)[0] == 0,
    # the first batch of 500 is stored, the listing goes on
    "first batch": lambda store, harvest_id: store.count_records(harvest_id)[0] >= 500,
    # two batches stored
    "second batch": lambda store, harvest_id: store.count_records(harvest_id)[0] >= 1000,
}


def _intact(store: Store, harvest_id: int, packages: list[dict]) -> None:
    assert store.current_harvest(store.harvest(harvest_id).portal_id).id == harvest_id
    ids = [r.native_id for r in store.records(harvest_id)]
    assert len(ids) == len(set(ids)) == SERVED and set(ids) == {p["id"] for p in packages}


@pytest.mark.parametrize("how", ["SIGKILL", "SIGTERM"])
@pytest.mark.parametrize("moment", list(MOMENTS))
def test_a_killed_harvest_ends_interrupted_and_the_earlier_one_stays_current(
        tmp_path, portal, packages, how, moment):
    url = f"sqlite:///{tmp_path / 'odq.sqlite'}"
    profile = _profile_file(tmp_path, portal, "tokyo-killed")
    portal.wire.slow_seconds = 0.0
    code, _out, err = _run("harvest", profile, "--db", url)
    assert code == 0, err
    store = Store(url)
    good = store.current_harvest("tokyo-killed").id

    portal.wire.slow_seconds = SLOW
    try:
        process = _odq("harvest", profile, "--db", url)
        running = _wait_for(lambda: _running(store, "tokyo-killed"), "a running harvest row", process)
        _wait_for(lambda: MOMENTS[moment](store, running.id), moment, process)
        process.send_signal(getattr(signal, how))
        _out, err = process.communicate(timeout=60)
    finally:
        portal.wire.slow_seconds = 0.0
    assert "Traceback" not in err
    if how == "SIGKILL":
        assert process.returncode == -signal.SIGKILL
        assert store.harvest(running.id).status == "running"  # nobody has looked yet
    else:
        assert process.returncode == 143, err
        assert "stopped by SIGTERM" in err and len(err.strip().splitlines()) == 1
    # odq touches the portal again: the killed harvest is closed, with its reason and what it stored.
    code, out, err = _run("harvest", profile, "--db", url, "--status", "--json")
    assert code == 0 and "Traceback" not in err, err
    status = {h["id"]: h for h in json.loads(out)["harvests"]}
    assert status[running.id]["status"] in ("interrupted", "failed")
    assert status[good]["current"] is True and status[running.id]["current"] is False
    killed = store.harvest(running.id)
    reason = killed.info.get("interrupted", "")
    assert ("stopped by SIGTERM" in reason) if how == "SIGTERM" else ("is gone" in reason)
    assert killed.datasets == store.count_records(running.id)[0]
    if moment != "started":
        assert killed.datasets >= 500
    _intact(store, good, packages)

    code, _out, err = _run("harvest", profile, "--db", url)
    assert code == 0, err
    latest = store.current_harvest("tokyo-killed").id
    assert latest > running.id
    _intact(store, latest, packages)


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_harvests_of_one_portal_at_once_one_harvests_the_other_refuses(tmp_path, portal, packages, backend):
    profile = _profile_file(tmp_path, portal, "tokyo-twice")
    other = _profile_file(tmp_path, portal, "tokyo-other")
    with fresh_database(backend, tmp_path) as url:
        portal.wire.slow_seconds = 2 * SLOW  # 12 s of listing: both starts fall well inside it
        try:
            processes = [_odq("harvest", profile, "--db", url, "--json"),
                         _odq("harvest", profile, "--db", url, "--json"),
                         _odq("harvest", other, "--db", url, "--json")]
            outcomes = [(p.wait(timeout=300), p.stdout.read(), p.stderr.read()) for p in processes]
        finally:
            portal.wire.slow_seconds = 0.0
        for _code, _out, err in outcomes:
            assert "Traceback" not in err
        twice = sorted(outcomes[:2], key=lambda o: o[0])
        assert [code for code, _out, _err in twice] == [0, 3], outcomes
        refusal = twice[1][2].strip()
        assert len(refusal.splitlines()) == 1 and "'tokyo-twice' is already being harvested" in refusal
        assert outcomes[2][0] == 0, outcomes[2][2]  # another portal, at the same time: harvested
        store = Store(url)
        harvests = store.harvests("tokyo-twice")
        assert [h.status for h in harvests] == ["complete"]
        _intact(store, harvests[0].id, packages)
        _intact(store, store.current_harvest("tokyo-other").id, packages)
        assert store.harvest_lock("tokyo-twice") is None and store.harvest_lock("tokyo-other") is None
        store.engine.dispose()
