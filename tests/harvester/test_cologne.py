"""Cologne's DKAN portal (offenedaten-koeln.de) as a scraper mirrored it in 2014, harvested through the `file` adapter
with the shipped profile: German long-form dates, page-style sizes, and the "2913-10-11" typo reported, not fatal.
The 119 per-dataset files are joined into one JSON array in memory; every expected figure is read from them here."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime

import pytest

from harvester.profiles import load_portal, validate
from harvester.run import run_harvest
from odq.pipeline import make_http
from odq.replay import ReplayCatalogue, ReplayServer
from profiles import PROFILES_DIR
from tests.conftest import real_fixture

FIXTURE = "dkan_offenedaten-koeln.de_2017"
MONTHS = {"Januar": 1, "Februar": 2, "März": 3, "April": 4, "Mai": 5, "Juni": 6, "Juli": 7, "August": 8,
          "September": 9, "Oktober": 10, "November": 11, "Dezember": 12}


def german(text: str) -> str:
    """'Dienstag, 19. November 2013 - 10:13' → '2013-11-19T10:13:00', the way a reader of the page would."""
    _weekday, rest = text.split(", ")
    day, month, year, _dash, clock = rest.split()
    hour, minute = clock.split(":")
    return datetime(int(year), MONTHS[month], int(day.rstrip(".")), int(hour), int(minute)).isoformat()


def size_in_bytes(text: str) -> int | None:
    """'15.03 MB' → bytes; Drupal's format_size counts in 1024s."""
    if not text:
        return None
    number, unit = text.split()
    return round(float(number) * {"Bytes": 1, "KB": 1024, "MB": 1024**2}[unit])


def stated_date(description: str | None) -> str | None:
    """The data's day (YYYY-MM-DD) when a resource description states it: leading, or after 'Aktualisiert' or
    'Letzte Aktualisierung:' (there also as DD.MM.YYYY)."""
    if not description:
        return None
    found = re.match(r"(\d{4}-\d\d-\d\d)\b", description) or re.search(
        r"Aktualisi\w*:?\s+(\d{4}-\d\d-\d\d|\d\d\.\d\d\.\d{4})", description)
    if found is None:
        return None
    day = found.group(1)
    return day if "-" in day else "-".join(reversed(day.split(".")))


@pytest.fixture(scope="module")
def cologne(tmp_path_factory):
    from harvester.store import Store

    folder = real_fixture(FIXTURE, "data")
    paths = sorted(folder.glob("*.json"), key=lambda p: int(p.stem))
    raw = [json.loads(p.read_text(encoding="utf-8")) for p in paths]
    body = json.dumps(raw, ensure_ascii=False).encode("utf-8")
    profile_file = load_portal(PROFILES_DIR / "portals" / "cologne.yaml")
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('cologne') / 'odq.sqlite'}")
    catalogue = ReplayCatalogue(packages=[], files={"mirror/cologne.json": (body, "application/json")})
    with ReplayServer(catalogue) as server:
        profile = {**profile_file, "allow_hosts": ["127.0.0.1"],
                   "politeness": {"requests_per_second": 10000, "concurrency": 8},
                   "options": {**profile_file["options"], "source": f"{server.base}/mirror/cologne.json"}}
        result = run_harvest(profile, store, make_http(profile))
    records = {r.native_id: r for r in store.records(result.harvest_id)}
    return {"raw": raw, "by_file": dict(zip((p.stem for p in paths), raw, strict=True)), "result": result,
            "records": records, "profile": profile_file, "store": store}


def test_the_shipped_profile_is_valid_and_checked_against_the_mirror(cologne):
    profile = cologne["profile"]
    validate(profile["options"], "file", profile["id"])
    assert (profile["level"], profile["region"], profile["url"]) == ("city", "Köln", "https://offenedaten-koeln.de")
    assert profile["verified"] is True


def test_every_dataset_and_resource_is_harvested(cologne):
    raw, result, records = cologne["raw"], cologne["result"], cologne["records"]
    assert len(raw) == 119
    assert result.status == "complete"
    assert result.errors_count == 0
    assert result.datasets == len(records) == len(raw)
    assert set(records) == {d["id"] for d in raw}
    resources = sum(len(d["resources"]) for d in raw)
    assert resources == 386  # as SOURCE.txt counts them
    assert result.distributions == resources
    for dataset in raw:
        record = records[dataset["id"]]
        assert record.title == dataset["title"].strip()
        assert [d.title for d in record.distributions] == [r["title"].strip() for r in dataset["resources"]]


def test_german_page_dates_are_read_for_every_dataset(cologne):
    for dataset in cologne["raw"]:
        record = cologne["records"][dataset["id"]]
        assert record.issued == german(dataset["created"]), dataset["id"]
        assert record.modified == german(dataset["aktualisiert"]), dataset["id"]


def test_the_2913_typo_is_a_reported_bad_date_not_a_crash(cologne):
    dataset = cologne["by_file"]["111"]
    typo = [r for r in dataset["resources"] if r["description"] == "2913-10-11"]
    assert len(typo) == 1
    record = cologne["records"][dataset["id"]]
    assert record.problems == [f"distribution {typo[0]['title']!r}: modified: '2913-10-11' is not a plausible date "
                               "(year 2913)"]
    distribution = next(d for d in record.distributions if d.download_url == typo[0]["file_url"])
    assert distribution.modified is None
    # The rest of the record is whole: its other resources keep their dates, the dataset its own.
    assert all(d.modified for d in record.distributions if d is not distribution)
    assert record.modified == german(dataset["aktualisiert"])
    # Every other problem of the harvest is a date stated in a description that cannot be a date.
    implausible = sum(1 for d in cologne["raw"] for r in d["resources"]
                      if int((stated_date(r["description"]) or "0")[:4]) > 2100)
    assert implausible == 1
    assert sum(len(r.problems) for r in cologne["records"].values()) == implausible


def test_resources_map_to_distributions(cologne):
    for dataset in cologne["raw"]:
        record = cologne["records"][dataset["id"]]
        for resource, distribution in zip(dataset["resources"], record.distributions, strict=True):
            assert distribution.download_url == (resource["file_url"] or resource["link_to_api"])
            assert distribution.access_url == f"https://offenedaten-koeln.de{resource['url']}"
            assert distribution.format_raw == resource["format"]
            assert distribution.format == resource["format"].upper()
            assert distribution.media_type == (resource["mime_type"] or None)
            assert distribution.byte_size == size_in_bytes(resource["file_size"])
            stated = stated_date(resource["description"])
            if stated is None:
                assert distribution.modified == german(resource["modified"])
            elif int(stated[:4]) <= 2100:
                assert distribution.modified == f"{stated}T00:00:00"
    sizes = Counter(r["file_size"].split()[-1] for d in cologne["raw"] for r in d["resources"] if r["file_size"])
    assert sizes == {"KB": 163, "Bytes": 147, "MB": 33}


def test_licences_publishers_and_tags_are_mapped(cologne):
    raw, records = cologne["raw"], cologne["records"]
    assert Counter(r.licence for r in records.values()) == Counter(d["license"].strip() for d in raw)
    assert Counter(r.publisher for r in records.values()) == Counter(d["publisher"].strip() or None for d in raw)
    for dataset in raw:
        assert records[dataset["id"]].keywords == ([dataset["tags"]] if dataset["tags"] else [])


def test_fill_rates_follow_the_mirror(cologne):
    raw, mapping = cologne["raw"], cologne["result"].mapping

    def share(count: int) -> float:
        return round(count / len(raw), 4)

    assert mapping["title"] == mapping["issued"] == mapping["modified"] == mapping["distributions"] == 1.0
    assert mapping["licence"] == share(sum(1 for d in raw if d["license"].strip()))
    assert mapping["publisher"] == share(sum(1 for d in raw if d["publisher"].strip()))
    assert mapping["description"] == share(sum(1 for d in raw if d["description"].strip()))
    assert mapping["keywords"] == share(sum(1 for d in raw if d["tags"].strip()))
    for empty in ("frequency_raw", "spatial", "temporal", "contact"):  # blank on every mirrored dataset
        assert mapping[empty] == 0.0
    assert mapping["views"] == mapping["downloads"] == 0.0  # the mirror has no usage figures: unknown, not 0


def test_cologne_assessment_reports_the_typo_as_an_impossible_date(cologne):
    from tests.assessing import assess_fixture_portal

    assessment = assess_fixture_portal(cologne["store"], cologne["result"].harvest_id, cologne["profile"])
    assert assessment.measure("impossible_dates")["value"] >= 1
    assert any("2913" in f["message"] for f in assessment.findings if f["measure_id"] == "impossible_dates")
