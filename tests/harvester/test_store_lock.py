"""One harvest per portal, on SQLite and PostgreSQL: the lock table, its lease, harvests whose process died, and
the portal and record inserts that two processes may race on."""

from __future__ import annotations

import gzip
import itertools
import multiprocessing as mp
import os
import socket
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import update

from harvester.http import Http
from harvester.records import DatasetRecord, Distribution
from harvester.run import HarvestLocked, run_harvest
from harvester.store import HarvestLockRow, HarvestRow, RecordRow, Store, utcnow
from odq.replay import load_jsonl_envelopes
from tests.conftest import ckan_profile, real_fixture
from tests.databases import BACKENDS, fresh_database


@pytest.fixture(params=BACKENDS)
def url(request, tmp_path):
    with fresh_database(request.param, tmp_path) as database:
        yield database


def _dead_pid() -> int:
    """The pid of a process that ran, ended and was reaped."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _set_lock(store: Store, portal_id: str, **values) -> None:
    with store.engine.begin() as conn:
        conn.execute(update(HarvestLockRow).where(HarvestLockRow.portal_id == portal_id).values(**values))


def test_one_lock_per_portal(url):
    store = Store(url)
    assert store.acquire_harvest_lock("kyoto", "first") is None
    holder = store.acquire_harvest_lock("kyoto", "second")
    assert holder is not None and holder.owner == "first" and holder.pid == os.getpid() and holder.host == socket.gethostname()
    assert store.acquire_harvest_lock("osaka", "second") is None  # another portal is free
    store.release_harvest_lock("kyoto", "second")  # not the holder: nothing happens
    assert store.acquire_harvest_lock("kyoto", "third").owner == "first"
    store.release_harvest_lock("kyoto", "first")
    assert store.acquire_harvest_lock("kyoto", "third") is None


def test_a_lock_whose_process_is_gone_is_taken_over(url):
    store = Store(url)
    assert store.acquire_harvest_lock("kyoto", "dead one") is None
    _set_lock(store, "kyoto", pid=_dead_pid())
    assert store.acquire_harvest_lock("kyoto", "next") is None
    assert store.harvest_lock("kyoto").owner == "next"


def test_a_silent_lock_of_another_host_expires_after_the_lease(url):
    store = Store(url)
    assert store.acquire_harvest_lock("kyoto", "elsewhere") is None
    # Another host: its pid says nothing here; only the heartbeat counts (lease 60 s, an odq default).
    _set_lock(store, "kyoto", host="another-host", pid=1, heartbeat_at=utcnow() - timedelta(seconds=20))
    assert store.acquire_harvest_lock("kyoto", "here").owner == "elsewhere"
    _set_lock(store, "kyoto", heartbeat_at=utcnow() - timedelta(seconds=61))
    assert store.acquire_harvest_lock("kyoto", "here") is None
    assert store.heartbeat("kyoto", "elsewhere", None) is False  # the old holder learns it lost the lock
    assert store.heartbeat("kyoto", "here", None) is True


def _records(portal_id: str, count: int) -> list[DatasetRecord]:
    path = real_fixture("ckan_catalog.data.metro.tokyo.lg.jp", "package_show_all.jsonl.gz")
    with gzip.open(path) as handle:
        packages = load_jsonl_envelopes(itertools.islice(handle, count))
    return [DatasetRecord(portal_id=portal_id, native_id=p["id"], title=p["title"], description=p.get("notes"),
                          distributions=[Distribution(access_url=r.get("url"), format_raw=r.get("format"))
                                         for r in p.get("resources") or []], raw=p)
            for p in packages]


def _profile(portal_id: str) -> dict:
    return ckan_profile("http://127.0.0.1:9", portal_id)


def test_a_running_harvest_whose_process_died_is_interrupted_when_the_portal_is_touched(url):
    store = Store(url)
    store.upsert_portal(_profile("kyoto"))
    alive = store.begin_harvest("kyoto")
    store.add_records(alive, _records("kyoto", 30))
    assert store.sweep_interrupted("kyoto") == []  # our own process, beating: left alone
    dead = store.begin_harvest("kyoto")
    store.add_records(dead, _records("kyoto", 20))
    with store.engine.begin() as conn:
        conn.execute(update(HarvestRow).where(HarvestRow.id == dead).values(owner_pid=_dead_pid()))
    silent = store.begin_harvest("kyoto")
    with store.engine.begin() as conn:
        conn.execute(update(HarvestRow).where(HarvestRow.id == silent).values(
            owner_host="another-host", heartbeat_at=utcnow() - timedelta(seconds=90)))
    # Touching the portal (what assess and report do) closes both, with what they stored.
    assert store.current_harvest("kyoto") is None
    died = store.harvest(dead)
    assert died.status == "interrupted" and died.datasets == 20 and died.finished_at is not None
    assert "process" in died.errors[-1] and "is gone" in died.errors[-1]
    assert "is gone" in died.info["interrupted"]
    quiet = store.harvest(silent)
    assert quiet.status == "interrupted" and "no heartbeat since" in quiet.errors[-1]
    assert store.harvest(alive).status == "running"


def test_a_second_harvest_of_a_portal_is_refused_before_any_harvest_row(url):
    store = Store(url)
    profile = _profile("kyoto")
    store.upsert_portal(profile)
    assert store.acquire_harvest_lock("kyoto", "someone else in this process") is None
    with pytest.raises(HarvestLocked, match=r"'kyoto' is already being harvested by pid \d+ on "):
        run_harvest(profile, store, Http(allow_hosts=["127.0.0.1"]))
    assert store.harvests("kyoto") == []


def _race(url: str, portal_id: str, barrier, done) -> None:
    try:
        store = Store(url)  # a fresh database: the tables are created by whoever comes first
        barrier.wait(timeout=60)
        store.upsert_portal(_profile(portal_id))
        harvest_id = store.begin_harvest(portal_id)
        batch = store.add_records(harvest_id, _records(portal_id, 200))
        done.put(("ok", batch.records))
    except BaseException as exc:
        done.put(("error", f"{type(exc).__name__}: {exc}"))


def test_processes_racing_on_one_portal_and_its_records_all_succeed(url):
    """Four fresh processes create the same tables, the same portal row and the same record versions at once."""
    context = mp.get_context("spawn")
    barrier, done = context.Barrier(4), context.Queue()
    workers = [context.Process(target=_race, args=(url, "kyoto", barrier, done)) for _ in range(4)]
    for worker in workers:
        worker.start()
    outcomes = [done.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    assert outcomes == [("ok", 200)] * 4
    store = Store(url)
    assert len(store.portals()) == 1
    with store.engine.connect() as conn:
        stored = conn.execute(RecordRow.__table__.select()).all()
    assert len(stored) == len({r.hash for r in stored}) == 200  # each version once
    assert [store.count_records(h.id)[0] for h in store.harvests("kyoto")] == [200] * 4
