"""The CNPDS registry import: one valid, uniquely named jsonapi profile per registry portal, written without
overwriting hand-written profiles. Counts come from the registry files read here with plain json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from harvester.adapters.jsonapi import validate_options
from harvester.cnpds import profiles_from_registry, write_profiles
from harvester.profiles import load_portal, validate
from tests.conftest import reference_fixture


@pytest.fixture(scope="module")
def registry() -> Path:
    return reference_fixture("cnpds")


@pytest.fixture(scope="module")
def profiles(registry) -> list[dict[str, Any]]:
    return profiles_from_registry(registry)


def registry_portals(registry: Path) -> list[tuple[str, str, dict[str, Any]]]:
    portals = json.loads((registry / "portals.json").read_text(encoding="utf-8"))
    return [(province, city, entry) for province, cities in portals.items() for city, entry in cities.items()
            if entry.get("url")]


def test_one_valid_profile_per_registry_portal_with_unique_ids(registry, profiles):
    portals = registry_portals(registry)
    assert len(profiles) == len(portals)
    ids = [p["id"] for p in profiles]
    assert len(set(ids)) == len(ids)
    assert [p["url"] for p in profiles] == [entry["url"] for _p, _c, entry in portals]
    for profile in profiles:
        validate(profile, "portal", profile["id"])
        assert profile["software"] == "jsonapi" and profile["verified"] is False
        assert profile["notes"]
        if "options" in profile:
            validate_options(profile)


def test_levels_and_regions_follow_the_registry_structure(registry, profiles):
    for (province, city, _entry), profile in zip(registry_portals(registry), profiles, strict=True):
        if city == province:
            assert profile["level"] == "province" and profile["region"] == f"{province} (CN)"
        else:
            assert profile["level"] in ("city", "sub-provincial", "provincial-capital")
            assert profile["region"] == f"{province} {city} (CN)"
    by_region = {p["region"]: p for p in profiles}
    assert by_region["浙江省 杭州市 (CN)"]["level"] == "sub-provincial"
    assert by_region["贵州省 贵阳市 (CN)"]["level"] == "provincial-capital"
    assert by_region["贵州省 遵义市 (CN)"]["level"] == "city"


def test_request_templates_become_jsonapi_options(registry, profiles):
    templates = json.loads((registry / "curl.json").read_text(encoding="utf-8"))
    by_id = {p["id"]: p for p in profiles}
    # Beijing: a form POST whose recorded "{}" was the page number.
    recorded = templates["beijing"]["beijing"]["resultList"]
    beijing = by_id["beijing"]["options"]["request"]
    assert beijing["method"] == recorded["method"].upper() and beijing["url"] == recorded["url"]
    assert recorded["data"]["curPage"] == "{}" and beijing["form"]["curPage"] == "{page}"
    assert beijing["page_size"] == int(recorded["data"]["pageSize"]) and beijing["form"]["pageSize"] == "{page_size}"
    # Guizhou's cities: a JSON body with numeric paging and the city's division filter.
    recorded = templates["guizhou"]["zunyi"]["resultList"]["data"]
    zunyi = by_id["guizhou-zunyi"]["options"]["request"]["json"]
    assert zunyi["divisionId"] == recorded["divisionId"]
    assert zunyi["pageIndex"] == "{page}" and zunyi["pageSize"] == "{page_size}"
    # Chongqing: the recorded GraphQL body becomes the graphql option, paged by offset.
    recorded = templates["chongqing"]["chongqing"]["resultList"]["data"]
    chongqing = by_id["chongqing"]["options"]
    assert chongqing["graphql"]["query"] == recorded["query"]
    assert chongqing["graphql"]["variables"]["input"]["offset"] == "{offset}"
    assert chongqing["graphql"]["variables"]["input"]["limit"] == "{page_size}"
    assert "json" not in chongqing["request"]
    # Session values recorded from someone's browser are never carried over, only noted.
    for profile in profiles:
        text = json.dumps(profile, ensure_ascii=False)
        assert "<removed" not in text
        headers = {k.lower() for k in (profile.get("options") or {}).get("request", {}).get("headers", {})}
        assert not headers & {"cookie", "authorization", "token"}


def test_portals_without_a_template_are_marked(registry, profiles):
    templates = json.loads((registry / "curl.json").read_text(encoding="utf-8"))
    without = [p for p in profiles if "options" not in p]
    assert without and len(without) >= len(profiles) - sum(len(cities) for cities in templates.values())
    assert all("No request template" in p["notes"] for p in without)


def test_write_profiles_never_overwrites_hand_written_ones(tmp_path, profiles):
    hand_written = tmp_path / "guizhou.yaml"
    hand_written.write_text("# reviewed by hand\n" + yaml.safe_dump({
        "id": "guizhou", "name": "贵州", "level": "province", "region": "贵州省", "software": "jsonapi",
        "url": "https://example.org/guizhou", "verified": True,
    }, allow_unicode=True), encoding="utf-8")
    same_portal = tmp_path / "beijing-by-hand.yaml"
    by_id = {p["id"]: p for p in profiles}
    same_portal.write_text(yaml.safe_dump({
        "id": "beijing-by-hand", "name": "北京", "level": "province", "region": "北京市", "software": "file",
        "url": by_id["beijing"]["url"],
    }, allow_unicode=True), encoding="utf-8")
    before = hand_written.read_text(encoding="utf-8")

    report = write_profiles(profiles, tmp_path)
    assert hand_written.read_text(encoding="utf-8") == before
    assert set(report.skipped) == {"guizhou", "beijing"}
    assert len(report.written) == len(profiles) - 2
    for path in report.written:
        assert load_portal(path) == by_id[path.stem]

    again = write_profiles(profiles, tmp_path)
    assert again.written == [] and len(again.skipped) == len(profiles)

    forced = write_profiles(profiles, tmp_path, force=True)
    assert len(forced.written) == len(profiles) - 1  # the hand-written file with the same URL still wins
    assert "guizhou" not in forced.skipped and "beijing" in forced.skipped
    assert load_portal(hand_written)["verified"] is False  # force overwrites a file of the same id
