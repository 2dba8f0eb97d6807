"""Zurich's DCAT-AP CH page: every dataset declares a frequency that normalises, and timeliness is judged
against a fixed harvest time — expected figures computed here from the raw Turtle."""

from __future__ import annotations

from datetime import datetime

import pytest
from rdflib import Graph, Namespace
from rdflib.namespace import DCTERMS, RDF
from sqlalchemy import update

from checks.catalogue import load_catalogue
from checks.frequency import evaluate
from harvester.run import run_harvest
from harvester.store import HarvestRow
from odq.pipeline import make_http
from odq.replay import ReplayCatalogue, ReplayServer
from tests.conftest import real_fixture

DCAT = Namespace("http://www.w3.org/ns/dcat#")
HARVESTED = datetime(2018, 7, 1)  # about when the page was recorded
# odq's timeliness rule, written here by hand (not imported): on time when modified within period × 1.5 + 7 days.
GRACE_FACTOR = 0.5
GRACE_DAYS = 7
# The test's own reading of the Dublin Core collection-frequency terms Zurich uses (days per period).
PERIODS = {"annual": 365.25, "semiannual": 182.62, "monthly": 30.44, "weekly": 7.0, "daily": 1.0, "continuous": 1.0}
EMPTY_PAGE = b"@prefix dcat: <http://www.w3.org/ns/dcat#> .\n<http://x/catalog> a dcat:Catalog .\n"


@pytest.fixture(scope="module")
def zurich(tmp_path_factory):
    from harvester.store import Store

    body = real_fixture("dcat_ap_ch_data.stadt-zuerich.ch", "dcatap-ch_catalog.ttl").read_bytes()
    graph = Graph().parse(data=body, format="turtle")

    def page(params, _body, base):  # page 1 is the recording; the next page is empty, so the listing completes
        if params.get("page", "1") == "1":
            return 200, body.replace(b"https://data.stadt-zuerich.ch/catalog.ttl", f"{base}/catalog.ttl".encode()), \
                "text/turtle"
        return 200, EMPTY_PAGE, "text/turtle"

    store = Store(f"sqlite:///{tmp_path_factory.mktemp('zurich') / 'odq.sqlite'}")
    with ReplayServer(ReplayCatalogue(packages=[], routes={"/catalog.ttl": page})) as server:
        profile = {"id": "zurich", "name": "Zürich", "level": "city", "region": "Zürich", "software": "dcat",
                   "url": server.base, "allow_hosts": ["127.0.0.1"],
                   "politeness": {"requests_per_second": 1000, "concurrency": 4},
                   "options": {"catalogue_url": f"{server.base}/catalog.ttl?page=1"},
                   # The recording is the catalogue's first page (100 of the 350 it counts): complete as recorded.
                   "harvest": {"count_tolerance": 1}}
        result = run_harvest(profile, store, make_http(profile))
    with store.engine.begin() as conn:
        conn.execute(update(HarvestRow).where(HarvestRow.id == result.harvest_id).values(started_at=HARVESTED))
    catalogue = load_catalogue(store, result.harvest_id, profile, with_distributions=False)
    return {"graph": graph, "result": result, "family": evaluate(catalogue), "catalogue": catalogue, "store": store,
            "profile": profile}


def _expected(graph: Graph) -> dict[str, bool | None]:
    """Per dataset title: on time, late, or None where the frequency is irregular or the date unreadable."""
    verdicts = {}
    for dataset in graph.subjects(RDF.type, DCAT.Dataset):
        title = str(next(iter(graph.objects(dataset, DCTERMS.title)), ""))
        frequency = str(next(graph.objects(dataset, DCTERMS.accrualPeriodicity))).rsplit("/", 1)[-1]
        modified = next(iter(graph.objects(dataset, DCTERMS.modified)), None)
        try:
            when = datetime.fromisoformat(str(modified))
        except (TypeError, ValueError):
            when = None
        period = PERIODS.get(frequency)
        if period is None or when is None:
            verdicts[title] = None
            continue
        verdicts[title] = (HARVESTED - when).total_seconds() / 86400 <= period * (1 + GRACE_FACTOR) + GRACE_DAYS
    return verdicts


def test_every_dataset_declares_a_frequency_that_normalises(zurich):
    checks = {c.spec.id: c for c in zurich["family"].shares}
    assert zurich["result"].status == "complete" and zurich["result"].datasets == 100
    assert checks["frequency_declared_share"].passed.all()
    assert len(checks["frequency_declared_share"].passed) == 100


def test_timeliness_against_a_fixed_harvest_time(zurich):
    expected = _expected(zurich["graph"])
    checks = {c.spec.id: c for c in zurich["family"].shares}
    timely = checks["timely_share"].passed
    titles = zurich["catalogue"].datasets["title"]
    got = {titles[i]: (None if pd_na(v) else bool(v)) for i, v in timely.items()}
    judged = {t: v for t, v in expected.items() if v is not None}
    assert {t: got[t] for t in judged} == judged
    assert sum(judged.values()) < len(judged)  # some Zurich datasets are late on 2018-07-01, some on time
    assert sum(judged.values()) > 0


def test_zurich_assessment_covers_all_families(zurich):
    from tests.assessing import assess_fixture_portal

    assessment = assess_fixture_portal(zurich["store"], zurich["result"].harvest_id, zurich["profile"])
    assert assessment.measure("frequency_declared_share")["value"] == 1.0
    judged = [v for v in _expected(zurich["graph"]).values() if v is not None]
    assert assessment.measure("timely_share")["detail"]["applicable"] == len(judged)


def pd_na(value) -> bool:
    import pandas as pd

    return value is pd.NA or value is None
