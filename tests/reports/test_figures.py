"""The chart counts read from the store: format mix, link status by what the check said, freshness per frequency."""

from __future__ import annotations

from checks.results import Results
from harvester.records import DatasetRecord, Distribution
from reports.figures import figures

PORTAL = {"id": "fig", "name": "fig", "level": "city", "region": "test", "software": "ckan",
          "url": "http://127.0.0.1:9"}


def harvest(store, records):
    store.upsert_portal(PORTAL)
    harvest_id = store.begin_harvest("fig")
    store.add_records(harvest_id, records)
    store.finish_harvest(harvest_id, status="complete", datasets=len(records))
    return harvest_id


def record(native_id, urls, formats, frequency=None):
    return DatasetRecord(portal_id="fig", native_id=native_id, title=native_id, frequency=frequency,
                         distributions=[Distribution(access_url=u, format=f) for u, f in zip(urls, formats,
                                                                                           strict=True)])


def test_link_status_counts_distinct_urls_by_verdict_and_unknown_is_not_dead(store):
    records = [
        record("a", ["http://h.example/1.csv", "http://h.example/2.csv"], ["CSV", "CSV"], "P1M"),
        record("b", ["http://h.example/2.csv", "http://h.example/3.csv", "ftp://h.example/4"], ["CSV", None, "XLS"],
               "P1M"),
        record("c", ["http://10.0.0.1/5.csv", "http://h.example/6.csv", "http://h.example/7.csv"],
               ["CSV", "PDF", "PDF"], "P1Y"),
    ]
    harvest_id = harvest(store, records)
    Results(store).save_link_checks([
        {"url": "http://h.example/1.csv", "status": 200, "alive": True, "reason": None, "content_type": "text/csv",
         "final_url": "http://h.example/1.csv"},
        {"url": "http://h.example/2.csv", "status": 404, "alive": False, "reason": "HTTP 404", "content_type": None,
         "final_url": None},
        {"url": "http://10.0.0.1/5.csv", "status": None, "alive": False,
         "reason": "refused 'http://10.0.0.1/5.csv': 10.0.0.1 resolves to 10.0.0.1, a private address",
         "content_type": None, "final_url": None},
        # A check that failed on odq's side (a connect timeout) is stored with its reason marked "unknown: ".
        {"url": "http://h.example/6.csv", "status": None, "alive": False,
         "reason": "unknown: ConnectTimeout: timed out", "content_type": None, "final_url": None},
    ])
    found = figures(store, harvest_id)
    # 7 distinct URLs: 1 alive, 2 dead (404), 5 blocked, 6 no answer, 3 and 7 never checked, the ftp one no http URL.
    assert (found.links.alive, found.links.dead, found.links.blocked, found.links.unknown,
            found.links.not_checked, found.links.no_url) == (1, 1, 1, 1, 2, 1)
    # 8 distributions: CSV ×4 (2.csv counts twice: two datasets list it), PDF ×2, XLS ×1, no format ×1.
    assert found.formats == {"CSV": 4, "PDF": 2, "XLS": 1, "": 1}
    assert found.freshness.declared == {"P1M": 2, "P1Y": 1}
    assert found.freshness.late is None  # no timeliness count given: per-frequency late counts are not claimed
