"""The whole pipeline on SQLite and on a real PostgreSQL server: harvest, assess, report, a round and every
export, through the CLI; both stores hold exactly the same records, measures and scores afterwards."""

from __future__ import annotations

import gzip
import itertools
import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from checks.results import Results
from harvester.store import Store
from odq.cli import app
from odq.replay import catalogue_from_packages, load_jsonl_envelopes
from odq.replay_faults import FaultyCkanServer, WireFaults
from tests.conftest import real_fixture
from tests.databases import fresh_database

SERVED = 600  # Tokyo packages: a few thousand distributions, enough for every family to have something to judge
PORTAL = "tokyo-pipeline"
SYSTEM = "cstc2019-website"


@pytest.fixture(scope="module")
def server():
    path = real_fixture("ckan_catalog.data.metro.tokyo.lg.jp", "package_show_all.jsonl.gz")
    by_name: dict[str, dict] = {}
    with gzip.open(path) as handle:
        for package in load_jsonl_envelopes(itertools.islice(handle, SERVED + 50)):
            by_name.setdefault(package["name"], package)
    with FaultyCkanServer(catalogue_from_packages(list(by_name.values())[:SERVED]), wire=WireFaults()) as served:
        yield served


def invoke(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def pipeline(url: str, profile: Path, out: Path) -> dict:
    """Run every stage once; what the stores hold afterwards, and how long each stage took."""
    timings = {}
    stages = [
        ("harvest", ["harvest", str(profile), "--db", url, "--json"]),
        ("assess", ["assess", PORTAL, "--db", url, "--allow-host", "127.0.0.1", "--file-sample", "0",
                    "--no-files", "--json"]),
        ("report", ["report", PORTAL, "--db", url, "--out", str(out / "report")]),
        ("round", ["round", "create", "r1", "--system", SYSTEM, "--db", url, "--json"]),
        ("round report", ["round", "report", "r1", "--db", url, "--out", str(out / "round")]),
        ("round export", ["round", "export", "r1", "--db", url, "--out", str(out / "round.xlsx")]),
        ("export", ["export", "--system", SYSTEM, "--level", "province", "--db", url,
                    "--out", str(out / "scores.xlsx")]),
        ("dcat-ap", ["export", "--format", "dcat-ap", "--portal", PORTAL, "--db", url,
                     "--out", str(out / "catalogue.ttl")]),
        ("dqv", ["export", "--format", "dqv", "--portal", PORTAL, "--db", url, "--out", str(out / "quality.ttl")]),
    ]
    for name, args in stages:
        started = time.perf_counter()
        invoke(*args)
        timings[name] = round(time.perf_counter() - started, 2)
    store = Store(url)
    harvest = store.current_harvest(PORTAL)
    results = Results(store)
    held = {
        "records": sorted((r.native_id, r.content_hash()[0]) for r in store.records(harvest.id)),
        "measures": sorted((m["measure_id"], m["value"]) for m in results.measures(harvest.id)),
        "scores": sorted((s["system_id"], s["level"], s["composite"]) for s in results.scores(harvest.id)),
        "findings": len(results.findings(harvest.id)),
        "files": sorted(p.name for p in out.rglob("*") if p.is_file()),
        "timings": timings,
    }
    store.engine.dispose()
    return held


def test_the_pipeline_gives_the_same_store_on_sqlite_and_postgresql(server, tmp_path):
    profile = tmp_path / f"{PORTAL}.yaml"
    profile.write_text(json.dumps({
        "id": PORTAL, "name": "Tokyo (loopback)", "level": "province", "region": "test", "software": "ckan",
        "url": server.base, "allow_hosts": ["127.0.0.1"],
        "politeness": {"requests_per_second": 10000, "concurrency": 8}, "options": {"page_size": 100},
    }))
    held = {}
    for backend in ("sqlite", "postgresql"):
        out = tmp_path / backend
        out.mkdir()
        with fresh_database(backend, tmp_path) as url:
            held[backend] = pipeline(url, profile, out)
    sqlite, postgresql = held["sqlite"], held["postgresql"]
    print("pipeline seconds per stage:", {b: h["timings"] for b, h in held.items()})
    assert len(sqlite["records"]) == SERVED
    for key in ("records", "measures", "scores", "findings", "files"):
        assert sqlite[key] == postgresql[key], key
    assert {system for system, _level, _composite in sqlite["scores"]} >= {SYSTEM, "eu-mqa"}
