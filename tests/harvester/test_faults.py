"""A CKAN portal that misbehaves, harvested: every harvest is complete with every dataset exactly once, or not
complete with its reason while the previous complete harvest stays current. Real Tokyo packages throughout."""

from __future__ import annotations

import gzip
import itertools

import pytest

from harvester.http import Http, Politeness
from harvester.run import run_harvest
from odq.replay import catalogue_from_packages, load_jsonl_envelopes
from odq.replay_faults import FaultyCkanServer, WireFaults
from tests.conftest import ckan_profile, real_fixture

PORTAL = "tokyo-faults"
SERVED = 400  # real packages the portal holds


@pytest.fixture(scope="module")
def packages() -> list[dict]:
    """The first 400 Tokyo packages with distinct names (the recording holds a few renamed packages twice,
    which CKAN's package_list, listing names, cannot tell apart)."""
    path = real_fixture("ckan_catalog.data.metro.tokyo.lg.jp", "package_show_all.jsonl.gz")
    by_name: dict[str, dict] = {}
    with gzip.open(path) as handle:
        for package in load_jsonl_envelopes(itertools.islice(handle, 2 * SERVED)):
            by_name.setdefault(package["name"], package)
    return list(by_name.values())[:SERVED]


def _http(profile: dict, read_timeout: float = 60.0) -> Http:
    return Http(allow_hosts=profile["allow_hosts"], politeness=Politeness.from_profile(profile["politeness"]),
                read_timeout=read_timeout, backoff=0.05)


def _harvest(store, packages, wire=None, *, page_size=50, port=0, read_timeout=60.0, accept_empty=False,
             harvest=None):
    with FaultyCkanServer(catalogue_from_packages(packages), wire=wire, port=port) as server:
        extra = {"harvest": harvest} if harvest else {}
        profile = ckan_profile(server.base, PORTAL, options={"page_size": page_size}, **extra)
        result = run_harvest(profile, store, _http(profile, read_timeout), batch_size=100,
                             accept_empty=accept_empty)
    return result, server


@pytest.fixture
def good(store, packages):
    """The last complete harvest, the one every faulty harvest must leave current; and the portal's port."""
    result, server = _harvest(store, packages)
    assert result.status == "complete" and result.datasets == SERVED
    return result.harvest_id, server.port


def _survived(store, result, served: set[str], good_id: int) -> str:
    """The invariant: complete with every served dataset exactly once, or not complete, with a reason, and the
    earlier complete harvest still current."""
    row = store.harvest(result.harvest_id)
    ids = [r.native_id for r in store.records(result.harvest_id)]
    assert len(ids) == len(set(ids)) == row.datasets == result.datasets
    assert set(ids) <= served
    if result.status == "complete":
        assert set(ids) == served
        assert store.current_harvest(PORTAL).id == result.harvest_id
    else:
        assert result.status in ("partial", "failed", "suspicious")
        assert row.status == result.status
        assert row.errors and row.errors_count >= 1
        assert row.bookmark is None
        assert store.current_harvest(PORTAL).id == good_id
        assert store.records(good_id) is not None and len(list(store.records(good_id))) == SERVED
    return result.status


def _served(packages) -> set[str]:
    return {p["id"] for p in packages}


@pytest.mark.parametrize("page_size", [100, 50, 25, 10])
def test_a_portal_that_fails_for_good_at_each_page_size_is_not_complete(store, packages, good, page_size):
    good_id, port = good
    # Two pages answer, then every page fails, whatever its size (the adapter halves it down to 10 first).
    result, server = _harvest(store, packages, WireFaults(error_after_pages=2), page_size=page_size, port=port)
    assert _survived(store, result, _served(packages), good_id) == "partial"
    assert result.datasets == 2 * page_size
    assert any("package_search" in e for e in result.errors)


def test_every_call_failing_is_a_failed_harvest(store, packages, good):
    good_id, port = good
    result, server = _harvest(store, packages, WireFaults(error_always=True, error_status=502), port=port)
    assert _survived(store, result, _served(packages), good_id) == "failed"
    assert result.datasets == 0


def test_a_share_of_server_errors(store, packages, good):
    good_id, port = good
    result, server = _harvest(store, packages, WireFaults(error_share=0.3), port=port)
    assert server.injected.get("error", 0) > 0
    _survived(store, result, _served(packages), good_id)


def test_a_stall_beyond_the_read_timeout_is_retried(store, packages, good):
    good_id, port = good
    wire = WireFaults(stall_calls=frozenset({4}), stall_seconds=3.0)
    result, server = _harvest(store, packages, wire, port=port, read_timeout=0.5)
    assert server.injected["stall"] == 1
    assert _survived(store, result, _served(packages), good_id) == "complete"


def test_a_search_that_always_stalls_falls_back_to_package_list(store, packages, good):
    good_id, port = good
    few = packages[:60]  # package_show once per dataset: a short catalogue keeps the test quick
    wire = WireFaults(stall_always=True, stall_seconds=1.0)
    result, server = _harvest(store, few, wire, port=port, read_timeout=0.2)
    assert server.injected["stall"] >= 1
    assert _survived(store, result, _served(few), good_id) == "complete"
    assert store.harvest(result.harvest_id).info["catalogue"]["listing"] == "package_list+package_show"


def test_a_search_that_stalls_mid_listing_is_not_complete(store, packages, good):
    good_id, port = good
    wire = WireFaults(stall_calls=frozenset(range(6, 100)), stall_seconds=1.0)
    result, server = _harvest(store, packages, wire, port=port, read_timeout=0.2)
    assert _survived(store, result, _served(packages), good_id) == "partial"
    assert any("Timeout" in e or "timed out" in e for e in result.errors), result.errors


def test_429_with_retry_after_is_waited_out(store, packages, good):
    good_id, port = good
    result, server = _harvest(store, packages, WireFaults(rate_limited_calls=frozenset({3, 4}), retry_after=1),
                              port=port)
    assert server.injected["429"] == 2
    assert _survived(store, result, _served(packages), good_id) == "complete"


def test_a_truncated_page(store, packages, good):
    good_id, port = good
    result, server = _harvest(store, packages, WireFaults(truncated_calls=frozenset({5})), port=port)
    assert server.injected["truncate"] == 1
    status = _survived(store, result, _served(packages), good_id)
    if status != "complete":  # without a retry of unparsable bodies, the listing breaks off and says why
        assert any("not JSON" in e for e in result.errors), result.errors


def test_a_search_that_always_truncates_falls_back_to_package_list(store, packages, good):
    good_id, port = good
    few = packages[:60]  # package_show once per dataset: a short catalogue keeps the test quick
    result, server = _harvest(store, few, WireFaults(truncate_always=True), port=port)
    assert _survived(store, result, _served(few), good_id) == "complete"
    assert store.harvest(result.harvest_id).info["catalogue"]["listing"] == "package_list+package_show"


def test_pages_truncated_mid_listing_are_not_complete(store, packages, good):
    good_id, port = good
    result, server = _harvest(store, packages, WireFaults(truncated_calls=frozenset(range(6, 100))), port=port)
    assert _survived(store, result, _served(packages), good_id) in ("partial", "failed")


def test_an_ignored_fq_falls_back_to_offsets_and_lists_every_dataset_once(store, packages, good):
    good_id, port = good
    result, server = _harvest(store, packages, WireFaults(ignore_fq=True), port=port)
    assert _survived(store, result, _served(packages), good_id) == "complete"
    assert store.harvest(result.harvest_id).info["catalogue"]["fq_ignored"] is True
    assert server.requests["/api/3/action/package_search"] < 40  # not the endless loop: 8 pages and probes


def test_a_listing_shorter_than_the_portals_count_is_partial(store, packages, good):
    good_id, port = good
    # The portal counts 440 and lists 400: 40 missing is 9.1 %, beyond the 1 % tolerance (odq default).
    result, _ = _harvest(store, packages, WireFaults(count_extra=40), port=port)
    assert _survived(store, result, _served(packages), good_id) == "partial"
    assert result.datasets == 400
    info = store.harvest(result.harvest_id).info
    assert info["completeness"]["expected_total"] == 440 and info["completeness"]["distinct"] == 400
    assert info["limits"]["count_tolerance"] == {"value": 0.01, "source": "odq default"}
    assert any("counts 440 datasets" in e and "40 missing" in e for e in result.errors)


def test_a_shortfall_within_the_tolerance_is_complete_with_a_warning(store, packages, good):
    good_id, port = good
    # 4 of 404 missing is 0.99 %: within 1 %.
    result, _ = _harvest(store, packages, WireFaults(count_extra=4), port=port)
    assert _survived(store, result, _served(packages), good_id) == "complete"
    assert "4 of the 404" in store.harvest(result.harvest_id).info["warning"]


def test_the_profile_sets_the_tolerance(store, packages, good):
    good_id, port = good
    # 5 of 405 missing is 1.2 %: partial by the default, complete with a profile tolerance of 2 %.
    result, _ = _harvest(store, packages, WireFaults(count_extra=5), port=port)
    assert result.status == "partial"
    result, _ = _harvest(store, packages, WireFaults(count_extra=5), port=port, harvest={"count_tolerance": 0.02})
    assert _survived(store, result, _served(packages), good_id) == "complete"
    assert store.harvest(result.harvest_id).info["limits"]["count_tolerance"] == {"value": 0.02, "source": "profile"}


def test_an_empty_listing_is_suspicious_and_never_current_unless_accepted(store, packages, good):
    good_id, port = good
    result, _ = _harvest(store, [], port=port)
    assert _survived(store, result, set(), good_id) == "suspicious"
    assert any("listing is empty" in e and f"#{good_id}" in e for e in result.errors)
    accepted, _ = _harvest(store, [], port=port, accept_empty=True)
    assert accepted.status == "complete" and accepted.datasets == 0
    assert store.current_harvest(PORTAL).id == accepted.harvest_id


def test_an_empty_listing_the_count_contradicts_is_not_complete(store, packages, good):
    good_id, port = good
    result, _ = _harvest(store, [], WireFaults(count_extra=40), port=port)
    assert _survived(store, result, set(), good_id) != "complete"


def test_repeated_ids_are_stored_once(store, packages, good):
    good_id, port = good
    result, server = _harvest(store, packages, WireFaults(repeat_first=True), port=port)
    _survived(store, result, _served(packages), good_id)


def test_a_body_trickled_at_one_byte_a_second_is_cut_by_the_request_deadline(store, packages, good):
    good_id, port = good
    wire = WireFaults(trickle_bytes_per_second=1.0)
    result, server = _harvest(store, packages, wire, port=port, harvest={"request_deadline_seconds": 2})
    assert server.injected["trickle"] >= 1
    _survived(store, result, _served(packages), good_id)


def test_the_harvest_deadline_stops_the_listing_as_partial(store, packages, good):
    good_id, port = good
    # 40 pages of 10 at 0.3 s each take 12 s; the deadline is 0.6 s (0.01 minutes).
    wire = WireFaults(slow_seconds=0.3)
    result, _ = _harvest(store, packages, wire, page_size=10, port=port, harvest={"deadline_minutes": 0.01})
    assert _survived(store, result, _served(packages), good_id) == "partial"
    assert 0 < result.datasets < SERVED
    assert any("deadline of 0.01 minutes (profile)" in e for e in result.errors), result.errors
