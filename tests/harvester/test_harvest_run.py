"""Harvest runs against a replayed real catalogue: atomic 'current', dedupe by content, faults, fallbacks."""

from __future__ import annotations

import copy
import gzip
import itertools

import pytest

from harvester.run import run_harvest
from odq.pipeline import make_http
from odq.replay import Faults, ReplayServer, catalogue_from_packages, load_jsonl_envelopes
from tests.conftest import ckan_profile, real_fixture


@pytest.fixture(scope="module")
def packages() -> list[dict]:
    """The first 1,200 Tokyo packages: enough for several pages at a small page size."""
    path = real_fixture("ckan_catalog.data.metro.tokyo.lg.jp", "package_show_all.jsonl.gz")
    with gzip.open(path) as handle:
        return load_jsonl_envelopes(itertools.islice(handle, 1200))


def _harvest(store, packages, faults=None, page_size=200, port=0, **profile_extra):
    with ReplayServer(catalogue_from_packages(packages), faults=faults, port=port) as server:
        profile = ckan_profile(server.base, "tokyo-sample", options={"page_size": page_size}, **profile_extra)
        result = run_harvest(profile, store, make_http(profile), batch_size=150)
    return result, server


def test_a_harvest_interrupted_by_server_errors_leaves_the_previous_one_current(store, packages):
    good, _ = _harvest(store, packages)
    assert good.status == "complete" and good.datasets == 1200
    assert store.current_harvest("tokyo-sample").id == good.harvest_id

    # The portal breaks down after three pages: the new harvest is partial and not current.
    broken, _ = _harvest(store, packages, faults=Faults(fail_search_after=4), page_size=200)
    assert broken.status == "partial"
    assert 0 < broken.datasets < 1200
    assert any("broke off" in e for e in broken.errors)
    assert store.current_harvest("tokyo-sample").id == good.harvest_id
    stored = store.harvest(broken.harvest_id)
    assert stored.status == "partial" and stored.errors_count == broken.errors_count
    assert stored.bookmark is None  # an incomplete listing must not move the incremental bookmark


def test_a_portal_that_fails_at_once_stores_a_failed_harvest(store, packages):
    failed, _ = _harvest(store, packages, faults=Faults(fail_search_after=0))
    assert failed.status == "failed"
    assert failed.datasets == 0
    assert store.current_harvest("tokyo-sample") is None


def test_unchanged_records_are_stored_once_and_changes_are_new_versions(store, packages):
    first, server = _harvest(store, packages)
    assert first.new_records == 1200
    # Same portal address (landing URLs are part of a record), same content: nothing new is stored.
    second, _ = _harvest(store, packages, port=server.port)
    assert second.status == "complete" and second.datasets == 1200
    assert second.new_records == 0
    changed = copy.deepcopy(packages)
    changed[7]["title"] = "changed title"
    third, _ = _harvest(store, changed, port=server.port)
    assert third.new_records == 1
    assert [r.title for r in store.records(third.harvest_id) if r.native_id == changed[7]["id"]] == ["changed title"]


def test_page_size_shrinks_when_big_pages_fail(store, packages):
    result, server = _harvest(store, packages, faults=Faults(fail_rows_above=100), page_size=400)
    assert result.status == "complete"
    assert result.datasets == 1200
    info = store.harvest(result.harvest_id).info
    assert info["catalogue"]["page_size_shrunk_to"] == 100


def test_falls_back_to_package_list_and_package_show(store, packages):
    result, server = _harvest(store, packages[:50], faults=Faults(search_disabled=True))
    assert result.status == "complete"
    assert result.datasets == 50
    assert server.requests["/api/3/action/package_show"] == 50
    assert store.harvest(result.harvest_id).info["catalogue"]["listing"] == "package_list+package_show"


def test_datasets_added_while_paging_are_neither_dropped_nor_repeated(store, packages):
    """Keyset paging on metadata_created: a dataset created mid-harvest cannot shift the pages."""
    base = sorted(packages, key=lambda p: (p["metadata_created"], p["id"]))
    catalogue = catalogue_from_packages(base)
    with ReplayServer(catalogue) as server:
        profile = ckan_profile(server.base, "moving", options={"page_size": 100})
        from harvester.adapters.ckan import CkanAdapter

        adapter = CkanAdapter(profile, make_http(profile))
        seen = []
        for record in adapter.records():
            seen.append(record.native_id)
            if len(seen) == 150:  # an old dataset is deleted and the listing shifts under us
                del server.index.rows[3]
                server.index.created.pop(3)
                server.index.groups.pop(3)
    assert len(seen) == len(set(seen))  # nothing repeated
    assert set(seen) == {p["id"] for p in base}  # nothing dropped (the deleted one was already read)


def test_a_store_failure_mid_harvest_fails_the_harvest_and_keeps_the_last_good_one(store, packages, monkeypatch):
    good, server = _harvest(store, packages)
    calls = {"n": 0}
    original = store.add_records

    def failing(harvest_id, records):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full")
        return original(harvest_id, records)

    monkeypatch.setattr(store, "add_records", failing)
    bad, _ = _harvest(store, packages, port=server.port)
    assert bad.status == "failed"
    assert any("disk full" in e for e in bad.errors)
    assert store.current_harvest("tokyo-sample").id == good.harvest_id


def test_incremental_harvest_asks_only_for_changes_and_carries_the_rest(store, packages):
    first, server = _harvest(store, packages, page_size=25)
    assert first.status == "complete" and first.requests >= 48
    # Same portal, nothing changed: at most 5% of the first harvest's requests, no new versions, every
    # dataset still there.
    with ReplayServer(catalogue_from_packages(packages), port=server.port) as replay:
        profile = ckan_profile(replay.base, "tokyo-sample", options={"page_size": 25})
        second = run_harvest(profile, store, make_http(profile), incremental=True)
    assert second.status == "complete"
    assert second.requests <= first.requests * 0.05
    assert second.new_records == 0
    assert second.datasets == 1200 and second.carried_forward >= 1199
    assert store.current_harvest("tokyo-sample").id == second.harvest_id

    # One dataset changes: it is listed again and stored as a new version; the rest carry forward.
    changed = copy.deepcopy(packages)
    newest = max(p["metadata_modified"] for p in packages)
    changed[5]["title"] = "renamed while nobody looked"
    changed[5]["metadata_modified"] = newest[:-6] + "999999"
    with ReplayServer(catalogue_from_packages(changed), port=server.port) as replay:
        profile = ckan_profile(replay.base, "tokyo-sample", options={"page_size": 25})
        third = run_harvest(profile, store, make_http(profile), incremental=True)
    assert third.status == "complete" and third.datasets == 1200
    assert third.new_records == 1
    titles = {r.native_id: r.title for r in store.records(third.harvest_id)}
    assert titles[changed[5]["id"]] == "renamed while nobody looked"
    assert len(titles) == 1200


def test_a_stop_request_interrupts_the_harvest_and_keeps_the_last_good_one(store, packages):
    from harvester.run import HarvestStopped, StopRequest

    good, server = _harvest(store, packages)
    stop = StopRequest()
    with ReplayServer(catalogue_from_packages(packages), port=server.port) as replay:
        profile = ckan_profile(replay.base, "tokyo-sample", options={"page_size": 100})
        with pytest.raises(HarvestStopped, match="stopped by SIGTERM"):
            run_harvest(profile, store, make_http(profile), batch_size=150,
                        progress=lambda done, total: stop.set("stopped by SIGTERM"), stop=stop)
    stopped = store.harvests("tokyo-sample")[-1]
    assert stopped.status == "interrupted" and stopped.info["interrupted"] == "stopped by SIGTERM"
    assert "harvest interrupted: stopped by SIGTERM" in stopped.errors
    assert 150 <= stopped.datasets < 1200 and stopped.bookmark is None
    assert store.current_harvest("tokyo-sample").id == good.harvest_id
    assert store.harvest_lock("tokyo-sample") is None  # released: the next harvest may start at once
    again, _ = _harvest(store, packages, port=server.port)
    assert again.status == "complete" and store.current_harvest("tokyo-sample").id == again.harvest_id


def test_the_lock_is_released_whatever_the_outcome(store, packages):
    failed, _ = _harvest(store, packages, faults=Faults(fail_search_after=0))
    assert failed.status == "failed"
    assert store.harvest_lock("tokyo-sample") is None
    done, _ = _harvest(store, packages)
    assert done.status == "complete" and store.harvest_lock("tokyo-sample") is None
    row = store.harvest(done.harvest_id)
    assert row.owner_host and row.owner_pid and row.heartbeat_at is not None
    assert row.info["limits"]["deadline_minutes"] == {"value": 360.0, "source": "odq default"}
    assert row.info["completeness"] == {"status": "complete", "expected_total": 1200, "distinct": 1200,
                                        "skipped": 0, "repeats": 0, "tolerance": 0.01}


@pytest.mark.parametrize("paging", ["offset", "scroll"])
def test_seattles_count_includes_its_repeated_assets_and_does_not_make_the_harvest_partial(store, paging):
    """Seattle's Discovery search lists 11 entries for 8 distinct assets (3k2p-39jp four times) and counts 11."""
    from odq.replay import ReplayCatalogue
    from tests.harvester.test_socrata import Discovery, _recorded_results, socrata_profile

    route = Discovery(_recorded_results())
    with ReplayServer(ReplayCatalogue(packages=[], routes={"/api/catalog/v1": route})) as server:
        profile = socrata_profile(server.base, page_size=3, paging=paging)
        result = run_harvest(profile, store, make_http(profile))
    assert result.status == "complete" and result.datasets == 8
    completeness = store.harvest(result.harvest_id).info["completeness"]
    assert completeness["expected_total"] == 11 and completeness["distinct"] == 8
    if paging == "offset":  # every entry met: 8 distinct + 3 repeats = the count, checked exactly
        assert completeness["repeats"] == 3 and "warning" not in completeness
    else:  # scroll_id paging meets only some repeats: the count is an upper bound, said so
        assert completeness["repeats"] < 3 and "cannot check" in completeness["warning"]
