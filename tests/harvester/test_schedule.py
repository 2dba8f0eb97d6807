"""Periodic harvests: which portals are due, and several portals harvested at once."""

from __future__ import annotations

import gzip
import itertools
from datetime import datetime

import pytest

from harvester.profiles import ProfileError
from harvester.schedule import is_due, last_due_time
from odq.pipeline import harvest_many
from odq.replay import ReplayServer, catalogue_from_packages, load_jsonl_envelopes
from tests.conftest import ckan_profile, real_fixture


def test_last_due_time_follows_the_cron_expression():
    assert last_due_time("0 3 * * 1", datetime(2026, 11, 23, 12, 0)) == datetime(2026, 11, 23, 3, 0)  # a Monday
    assert last_due_time("0 3 * * 1", datetime(2026, 11, 23, 2, 0)) == datetime(2026, 11, 16, 3, 0)
    with pytest.raises(ProfileError, match="schedule"):
        last_due_time("every monday", datetime(2026, 11, 23))


@pytest.mark.parametrize(("schedule", "reason"), [("every monday", "2 fields where 5 are needed"),
                                                  ("0 3 * * 1 30", "6 fields where 5 are needed"),
                                                  ("0 0 31 4 *", "it never fires")])  # 31 April
def test_a_schedule_built_in_code_is_refused_with_the_profile_wording(store, schedule, reason):
    with pytest.raises(ProfileError) as caught:
        last_due_time(schedule, datetime(2026, 11, 23))
    assert str(caught.value) == (f"profile: key 'schedule': expected a cron expression (minute hour day month "
                                 f"weekday), e.g. '0 3 * * 1', got {schedule!r} ({reason})")
    profile = {"id": "p", "schedule": schedule}
    with pytest.raises(ProfileError) as caught:
        is_due(profile, store, now=datetime(2026, 11, 23))
    assert str(caught.value).startswith("portal 'p': key 'schedule': expected a cron expression")


def test_a_nickname_schedule_is_due_once_a_day(store):
    profile = {"id": "p", "schedule": "@daily"}
    assert last_due_time("@daily", datetime(2026, 11, 23, 12, 0)) == datetime(2026, 11, 23, 0, 0)
    assert is_due(profile, store, now=datetime(2026, 11, 23, 12, 0))


def test_a_portal_is_due_until_it_is_attempted_after_its_slot(store):
    profile = {"id": "p", "name": "p", "level": "city", "region": "r", "software": "ckan", "url": "http://x",
               "schedule": "0 3 * * *"}
    assert is_due(profile, store, now=datetime(2026, 11, 23, 4, 0))  # never harvested
    store.upsert_portal(profile)
    store.begin_harvest("p")  # started "now" (after 03:00 today)
    assert not is_due(profile, store)
    assert is_due(profile, store, now=datetime(2099, 1, 1, 4, 0))
    assert not is_due({**profile, "schedule": None}, store)


def test_several_portals_are_harvested_at_once(store):
    path = real_fixture("ckan_catalog.data.metro.tokyo.lg.jp", "package_show_all.jsonl.gz")
    with gzip.open(path) as handle:
        packages = load_jsonl_envelopes(itertools.islice(handle, 600))
    with ReplayServer(catalogue_from_packages(packages[:250])) as one, \
            ReplayServer(catalogue_from_packages(packages[250:])) as two:
        profiles = [ckan_profile(one.base, "one"), ckan_profile(two.base, "two")]
        results = harvest_many(profiles, store, workers=2)
    assert [r.status for r in results] == ["complete", "complete"]
    assert [r.datasets for r in results] == [250, 350]
    assert store.current_harvest("one").datasets == 250
    assert store.current_harvest("two").datasets == 350
