"""The one adapter contract: every family on the base class, typed options with named errors, the paginator's
loop and progress rules, map_or_skip, and the catalogue facts stored as JSON and read back by the checks."""

from __future__ import annotations

import pytest

from harvester.adapters import adapter_class, check_options, families
from harvester.adapters.base import Adapter, SkippedRecord
from harvester.adapters.facts import CatalogueFacts, Dimension
from harvester.adapters.options import OptionsError
from harvester.adapters.paging import Paginator
from harvester.http import Http
from harvester.records import DatasetRecord

URL = "https://portal.example.org"
MINIMAL_OPTIONS = {
    "jsonapi": {"request": {"url": "/list?page={page}"}},
    "file": {"source": f"{URL}/c.csv", "columns": {"title": "名称"}},
}


def profile(software: str, **options) -> dict:
    return {"id": "contract", "url": URL, "software": software,
            "options": {**MINIMAL_OPTIONS.get(software, {}), **options}}


def test_families_are_the_registry_and_every_one_is_built_on_the_base():
    assert families() == ["ckan", "socrata", "opendatasoft", "dcat", "datajson", "udata", "file", "jsonapi"]
    for family in families():
        cls = adapter_class(family)
        assert issubclass(cls, Adapter) and cls.family == family
        adapter = cls(profile(family), Http())  # building one needs no network
        assert adapter.expected_total is None and adapter.incremental is False and adapter.partial_reason is None
        facts = adapter.catalogue_info()
        assert isinstance(facts, CatalogueFacts)
        assert set(facts.to_json()) >= {"listing", "keyword_search", "category_filter", "dimensions"}


def test_a_bad_option_names_its_key_the_expectation_and_the_value():
    with pytest.raises(OptionsError) as caught:
        check_options(profile("ckan", page_size="lots"))
    assert str(caught.value) == "key 'options.page_size': expected an integer from 1 to 10000, got 'lots'"
    assert (caught.value.key, caught.value.expectation, caught.value.value) == (
        "options.page_size", "an integer from 1 to 10000", "lots")
    for bad in (0, -1, True, 2.5):
        with pytest.raises(OptionsError, match=r"key 'options.page_size': expected an integer from 1"):
            check_options(profile("udata", page_size=bad))
    with pytest.raises(OptionsError, match=r"key 'options.min_page_size': expected an integer from 1 to page_size"):
        check_options(profile("ckan", page_size=20, min_page_size=50))
    with pytest.raises(OptionsError, match=r"key 'options.paging': expected one of auto, offset, scroll, got 'fast'"):
        check_options(profile("socrata", paging="fast"))
    with pytest.raises(OptionsError, match=r"key 'options.page_sise': expected one of the ckan's options"):
        check_options(profile("ckan", page_sise=100))
    with pytest.raises(OptionsError, match=r"key 'options.page_size': expected an integer from 1 to 100, got 500"):
        check_options(profile("opendatasoft", page_size=500))  # the catalogue endpoint's largest page
    with pytest.raises(OptionsError, match=r"key 'options.views_detail': expected true or false"):
        check_options(profile("socrata", views_detail="yes"))
    check_options(profile("ckan", page_size=50, min_page_size=5, max_pages=3))
    check_options(profile("dcat", languages=["fr", "de"], format="turtle"))


def test_options_are_typed_once_read():
    adapter = adapter_class("socrata")(profile("socrata", only=["dataset", "map"], page_size=7), Http())
    assert adapter.options.only == ("dataset", "map") and adapter.options.page_size == 7
    assert adapter.only == "dataset,map"
    assert adapter_class("ckan")(profile("ckan"), Http()).options.page_size == 1000  # the default


@pytest.mark.parametrize(("options", "key"), [
    ({"request": {"url": "/list", "params": {"pageNo": "{page"}}}, "options.request.params.pageNo"),
    ({"request": {"url": "/list", "json": {"paging": {"n": "{nosuchvar}"}}}}, "options.request.json.paging.n"),
    ({"request": {"url": "/list"}, "response": {"list_path": "data..items["}}, "options.response.list_path"),
    ({"request": {"url": "/list"}, "detail": {"url": "/d/{page}"}}, "options.detail.url"),
    ({"request": {"url": "/list"}, "fields": {"title": ["name", "a..b"]}}, "options.fields.title.1"),
])
def test_jsonapi_templates_and_paths_are_compiled_when_the_options_are_read(options, key):
    with pytest.raises(OptionsError) as caught:
        check_options({"id": "broken", "url": URL, "software": "jsonapi", "options": options})
    assert caught.value.key == key
    assert str(caught.value).startswith(f"key '{key}': expected ")


def test_jsonapi_bodies_that_carry_json_text_or_graphql_are_not_placeholders():
    check_options(profile("jsonapi", request={"url": "/list", "form": {"q": '{"pageNo": "{page}"}'}}))
    check_options(profile("jsonapi", request={"url": "/graphql", "method": "POST"},
                          graphql={"query": "query { datasets(first: 10) {id title} }",
                                   "variables": {"offset": "{offset}"}}))


def test_a_profile_without_the_options_its_family_needs_loads_but_cannot_harvest():
    stub = {"id": "stub", "url": URL, "software": "jsonapi"}
    check_options(stub)  # an imported stub is listed and reviewed before anyone writes its options
    with pytest.raises(ValueError, match="needs options"):
        adapter_class("jsonapi")(stub, Http())


def _stops() -> tuple[Paginator, list[str]]:
    reasons: list[str] = []
    return Paginator(reasons.append), reasons


def test_the_paginator_refuses_a_token_it_has_seen():
    pager, reasons = _stops()
    assert pager.begin("?page=1") and pager.begin("?page=2")
    assert not pager.begin("?page=1")
    assert reasons == ["page 3 would be ?page=1 again, a page already read (the portal's paging goes round)"]


def test_a_page_without_new_ids_ends_the_listing_and_repeats_are_yielded_once():
    pager, reasons = _stops()
    pager.begin(0)
    assert [pager.is_new(i) for i in ("a", "b", "a")] == [True, True, False]
    assert pager.progressed()
    pager.begin(2)
    assert [pager.is_new(i) for i in ("b", "c")] == [False, True]
    assert pager.progressed() and pager.listed == 3 and pager.repeats == 2
    pager.begin(4)
    assert [pager.is_new(i) for i in ("a", "c")] == [False, False]
    assert not pager.progressed()
    assert reasons == ["page 3 brought no new dataset ids (the portal repeats its pages)"]


def test_entries_without_an_id_are_told_apart_by_content_and_an_empty_page_is_no_stall():
    pager, reasons = _stops()
    pager.begin(0)
    assert pager.is_new(None, {"t": 1}) and pager.is_new(None, {"t": 2}) and not pager.is_new(None, {"t": 1})
    pager.begin(1)
    assert pager.progressed()  # nothing listed: the end of the listing, which the adapter sees itself
    assert reasons == []


def test_the_page_cap_ends_the_listing():
    reasons: list[str] = []
    pager = Paginator(reasons.append, max_pages=2)
    assert pager.begin(1) and pager.begin(2) and not pager.begin(3)
    assert reasons == ["the listing reached its cap of 2 pages before its end"]


def test_a_shared_seen_set_skips_what_an_earlier_listing_yielded_without_calling_it_a_stall():
    first, _ = _stops()
    first.begin(0)
    first.is_new("a")
    second = Paginator(lambda reason: None, seen=first.seen)
    second.begin(0)
    assert not second.is_new("a") and second.progressed()


def test_map_or_skip_turns_any_failure_into_a_reported_skip():
    adapter = adapter_class("udata")(profile("udata"), Http())

    def broken() -> DatasetRecord:
        raise KeyError("title")

    skipped = adapter.map_or_skip("x1", broken)
    assert skipped == SkippedRecord("x1", "unreadable dataset: KeyError: 'title'")

    deep: list = []
    for _ in range(300):  # deeper than orjson writes: the store could not keep it
        deep = [deep]
    record = DatasetRecord(portal_id="contract", native_id="x2", title="deep", raw=deep)
    skipped = adapter.map_or_skip("x2", lambda: record)
    assert isinstance(skipped, SkippedRecord) and "254 levels" in skipped.reason

    good = DatasetRecord(portal_id="contract", native_id="x3", title="fine", modified="2024-05-01T00:00:00")
    assert adapter.map_or_skip("x3", lambda: good) is good
    assert adapter.bookmark() == {"modified_since": "2024-05-01T00:00:00"}


def test_facts_round_trip_through_json_and_read_earlier_spellings():
    facts = CatalogueFacts(listing="package_search", keyword_search=True, category_filter=None,
                           dimensions={"theme": Dimension(True, 2, ("环境", "交通"), ("env", "traffic"))},
                           details={"fq_ignored": True, "page_size_shrunk_to": 250})
    stored = facts.to_json()
    assert stored == {"listing": "package_search", "keyword_search": True, "category_filter": None,
                      "dimensions": {"theme": {"available": True, "count": 2, "labels": ["环境", "交通"],
                                               "names": ["env", "traffic"]}},
                      "fq_ignored": True, "page_size_shrunk_to": 250}
    assert CatalogueFacts.from_json(stored) == facts
    # Harvests stored before the facts were typed: three spellings of one fact, and "search".
    for old in ({"search": True, "filter_by_category": False}, {"search": True, "filter": False},
                {"search": True, "category_filter": False}):
        read = CatalogueFacts.from_json(old)
        assert (read.keyword_search, read.category_filter) == (True, False)
    assert CatalogueFacts.from_json({"search": "yes", "category_filter": 1}).category_filter is None
    assert CatalogueFacts.from_json(None) == CatalogueFacts()
    with pytest.raises(ValueError, match="fact's name"):
        CatalogueFacts(details={"search": True})
