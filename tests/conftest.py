"""Shared test fixtures: where the real recorded portal data lives, and loopback replay servers over it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def fixtures_root() -> Path:
    """ODQ_FIXTURES, else ../shared/fixtures beside the project."""
    return Path(os.environ.get("ODQ_FIXTURES") or PROJECT_ROOT.parent / "shared" / "fixtures")


def unavailable(message: str) -> None:
    """Something a test needs is missing: fail loudly on CI (CI=true), skip on a developer's machine."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message)
    pytest.skip(message)


def _fixture(kind: str, parts: tuple[str, ...]) -> Path:
    path = fixtures_root().joinpath(kind, *parts)
    if not path.exists():
        unavailable(f"{kind} fixture {path} is missing (set ODQ_FIXTURES to the shared fixtures folder)")
    return path


def real_fixture(*parts: str) -> Path:
    """A path under fixtures/real (portal data as portals served it)."""
    return _fixture("real", parts)


def reference_fixture(*parts: str) -> Path:
    """A path under fixtures/reference (vocabularies, registries)."""
    return _fixture("reference", parts)


@pytest.fixture(scope="session", autouse=True)
def _no_operator_profiles(tmp_path_factory):
    """The tester's own profile directories (ODQ_PROFILES, ~/.config/odq/profiles) never leak into a test."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("xdg-config")))
        patch.delenv("ODQ_PROFILES", raising=False)
        yield


@pytest.fixture(autouse=True)
def _no_leftover_profile_dirs():
    """`odq --profiles DIR` sets the search path for the process; a test's setting ends with the test."""
    yield
    from profiles import use_profile_dirs

    use_profile_dirs(())


@pytest.fixture
def store(tmp_path):
    from harvester.store import Store

    return Store(f"sqlite:///{tmp_path / 'odq-test.sqlite'}")


def replay_profile(base_url: str, portal_id: str, software: str, *, level: str = "city", **extra) -> dict:
    """A portal profile for a loopback replay server: allow-listed and without politeness delays."""
    profile = {
        "id": portal_id, "name": f"{portal_id} (replay)", "level": level, "region": "test",
        "software": software, "url": base_url, "allow_hosts": ["127.0.0.1"],
        "politeness": {"requests_per_second": 10000, "concurrency": 8},
    }
    profile.update(extra)
    return profile


def ckan_profile(base_url: str, portal_id: str = "replay", **extra) -> dict:
    return replay_profile(base_url, portal_id, "ckan", **extra)
