"""Real fixture portals harvested and assessed into one store, for the round tests."""

from __future__ import annotations

from typing import Any

from harvester.profiles import load_portal
from harvester.run import run_harvest
from harvester.store import Store
from odq.pipeline import make_http, score_harvest
from odq.replay import ReplayCatalogue, ReplayServer
from profiles import PROFILES_DIR
from tests.assessing import assess_fixture_portal
from tests.conftest import real_fixture, replay_profile

CHINA = "china_provincial_portals_scraped_2021"
FAST = {"requests_per_second": 10000, "concurrency": 8}
# The small provincial samples keep the scraper's own labels (time_pl = 更新频率, time_gx = 更新时间).
SAMPLE_OPTIONS = {
    "format": "jsonl",
    "columns": {
        "title": "name", "description": "info.desc", "frequency": "info.time_pl", "issued": "info.time",
        "modified": "info.time_gx", "categories": [{"dimension": "theme", "column": "topic"}],
    },
}


def shipped_options(portal: str) -> dict[str, Any]:
    return load_portal(PROFILES_DIR / "portals" / f"{portal}.yaml")["options"]


def harvest_file_portal(store: Store, portal_id: str, name: str, body: bytes, options: dict[str, Any],
                        level: str = "province", **extra: Any) -> dict[str, Any]:
    """Serve a catalogue file on loopback, harvest it through the `file` adapter, assess and score it."""
    catalogue = ReplayCatalogue(packages=[], files={"catalogue/file": (body, "application/octet-stream")})
    with ReplayServer(catalogue) as server:
        profile = replay_profile(server.base, portal_id, "file", level=level, politeness=FAST,
                                 options={**options, "source": f"{server.base}/catalogue/file"}, **extra)
        profile["name"] = name
        result = run_harvest(profile, store, make_http(profile))
    assert result.status == "complete", result.errors[:3]
    assessment = assess_fixture_portal(store, result.harvest_id, profile)
    score_harvest(store, profile, result.harvest_id, assessment.measures)
    return profile


def fixture_bytes(name: str) -> bytes:
    return real_fixture(CHINA, name).read_bytes()
