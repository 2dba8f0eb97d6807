"""Shared test fixtures: where the real recorded portal data lives, and loopback replay servers over it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def fixtures_root() -> Path:
    """ODQ_FIXTURES, else ../shared/fixtures beside the project."""
    return Path(os.environ.get("ODQ_FIXTURES") or PROJECT_ROOT.parent / "shared" / "fixtures")


def real_fixture(*parts: str) -> Path:
    """A path under fixtures/real; missing fixtures fail loudly on CI and skip elsewhere."""
    path = fixtures_root().joinpath("real", *parts)
    if not path.exists():
        message = f"real fixture {path} is missing (set ODQ_FIXTURES to the shared fixtures folder)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def reference_fixture(*parts: str) -> Path:
    path = fixtures_root().joinpath("reference", *parts)
    if not path.exists():
        message = f"reference fixture {path} is missing"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture
def store(tmp_path):
    from harvester.store import Store

    return Store(f"sqlite:///{tmp_path / 'odq-test.sqlite'}")


def ckan_profile(base_url: str, portal_id: str = "replay", **extra) -> dict:
    profile = {
        "id": portal_id, "name": f"{portal_id} (replay)", "level": "city", "region": "test",
        "software": "ckan", "url": base_url, "allow_hosts": ["127.0.0.1"],
        "politeness": {"requests_per_second": 10000, "concurrency": 8},
    }
    profile.update(extra)
    return profile
