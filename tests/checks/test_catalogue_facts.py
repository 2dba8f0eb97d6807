"""search_available and the data-request measures read the adapters' typed catalogue facts, whichever family (and
whichever odq version) stored them: None is "could not be probed", never "no"."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from checks import classification, usage
from checks.catalogue import Catalogue
from tests.assessing import english


def catalogue(facts: dict | None) -> Catalogue:
    frame = pd.DataFrame([{"native_id": "a", "title": "A", "categories": [("theme", "环境")], "open_type": None,
                           "views": None, "downloads": None, "api_calls": None}]).set_index("native_id", drop=False)
    info = {} if facts is None else {"catalogue": facts}
    return Catalogue(harvest_id=1, portal={"id": "p"}, harvested_at=datetime(2024, 3, 1), info=info,
                     datasets=frame, distributions=pd.DataFrame())


def search_available(facts: dict | None) -> float | None:
    return classification.evaluate(catalogue(facts)).values["search_available"][1]


@pytest.mark.parametrize(("facts", "expected"), [
    # today's facts, as every adapter stores them
    ({"listing": "package_search", "keyword_search": True, "category_filter": True, "dimensions": {}}, 1.0),
    ({"listing": "package_search", "keyword_search": True, "category_filter": False, "dimensions": {}}, 0.0),
    ({"listing": "jsonapi", "keyword_search": True, "category_filter": None, "dimensions": {}}, 1.0),
    ({"listing": "dcat", "keyword_search": None, "category_filter": None, "dimensions": {}}, None),
    # harvests stored before the facts were typed: Socrata's filter_by_category and DCAT's filter now count
    ({"search": True, "filter_by_category": False}, 0.0),
    ({"search": False, "filter": False}, 0.0),
    ({"search": True, "category_filter": True}, 1.0),
    (None, None),
])
def test_search_available_reads_one_name_per_fact(facts, expected):
    assert search_available(facts) == expected


def test_the_finding_says_which_part_failed_and_which_was_not_probed():
    result = classification.evaluate(catalogue({"keyword_search": False, "category_filter": None}))
    (finding,) = [f for f in result.findings if f["measure_id"] == "search_available"]
    assert finding["code"] == "search-or-filter-fails"
    assert finding["values"] == {"search": "fails", "filter": "not-probed"}
    assert english(finding) == "keyword search fails, filtering by category could not be probed"


def test_data_requests_and_showcases_come_from_the_details():
    facts = {"listing": "package_search", "dimensions": {}, "showcases": 3,
             "data_requests": {"available": True, "listed": 1,
                               "items": [{"id": "r1", "title": "bus stops", "open_time": "2024-01-01",
                                          "close_time": "2024-01-10", "closed": True}]}}
    values = usage.evaluate(catalogue(facts)).values
    assert values["showcases"][1] == 3.0
    assert values["data_request_available"][1] == 1.0
    assert values["data_request_reply_share"][1] == 1.0  # answered after 9 days, within 30
    unknown = usage.evaluate(catalogue({"showcases": "many"})).values
    assert unknown["showcases"][1] is None and unknown["data_request_available"][1] is None
