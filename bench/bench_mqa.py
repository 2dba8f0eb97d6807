"""The three lenses on the replayed fixture portals: MQA, Portal Watch and CSTC scores for the demo, Tokyo, Zurich,
Argentina and Guangxi; Zurich's MQA points per dimension (strict and lenient, URL points unknown / at 0 / at most);
the DCAT-AP 2.1.1 violations by shape on Zurich; and the assessment time SHACL adds (median of 3) on Zurich and
Tokyo. Every portal is harvested from its recorded fixture on loopback, assessed without link or file checks (the
recorded hosts are not reachable), scored, and reported (zh), so the figures are `odq assess` + `odq report`'s.

    ODQ_FIXTURES=…/shared/fixtures python bench/bench_mqa.py [--runs 3]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FIXTURES = Path(os.environ.get("ODQ_FIXTURES") or ROOT.parent / "shared" / "fixtures")
SHAPES = FIXTURES / "reference" / "dcat_ap_shacl_shapes"
FAST = {"requests_per_second": 10000, "concurrency": 8}
ZURICH_PAGE = "https://data.stadt-zuerich.ch/catalog.ttl?page="
URL_POINTS = ("mqa_access_url_answers", "mqa_download_url_answers")


def shipped(portal_id: str, base: str, **options: Any) -> dict[str, Any]:
    """The shipped profile, pointed at the loopback replay."""
    from harvester.profiles import load_portal
    from profiles import PROFILES_DIR

    profile = load_portal(PROFILES_DIR / "portals" / f"{portal_id}.yaml")
    profile.update(url=base, allow_hosts=["127.0.0.1"], politeness=FAST)
    profile["options"] = {**(profile.get("options") or {}), **options}
    return profile


def harvest(store: Any, catalogue: Any, make_profile: Callable[[str], dict[str, Any]]) -> dict[str, Any]:
    from harvester.run import run_harvest
    from odq.pipeline import make_http
    from odq.replay import ReplayServer

    with ReplayServer(catalogue) as server:
        profile = make_profile(server.base)
        result = run_harvest(profile, store, make_http(profile))
    if result.status != "complete":  # Zurich: only page 1 of 4 was recorded; its 100 datasets are the catalogue
        store.finish_harvest(result.harvest_id, status="complete", datasets=result.datasets)
    print(f"{profile['id']}: {result.datasets} datasets, harvest {result.status}", file=sys.stderr)
    return profile


def portals(store: Any) -> list[dict[str, Any]]:
    from odq.demo.catalogue import build_demo_portal
    from odq.demo.run import demo_profile
    from odq.replay import ReplayCatalogue, catalogue_from_packages, load_jsonl_envelopes

    real = FIXTURES / "real"
    demo = build_demo_portal(datetime(2026, 11, 1, tzinfo=UTC))
    with gzip.open(real / "ckan_catalog.data.metro.tokyo.lg.jp" / "package_show_all.jsonl.gz") as handle:
        tokyo = catalogue_from_packages(load_jsonl_envelopes(handle), rewrite_urls=True)
    zurich = (real / "dcat_ap_ch_data.stadt-zuerich.ch" / "dcatap-ch_catalog.ttl").read_bytes()

    def zurich_page(params: dict[str, str], _body: bytes, base: str) -> tuple[int, bytes, str]:
        if params.get("page", "1") != "1":
            return 404, b"not recorded", "text/plain"
        return 200, zurich.replace(ZURICH_PAGE.encode(), f"{base}/catalog.ttl?page=".encode()), "text/turtle"

    argentina = (real / "argentina_datos_gob_ar_datajson" / "datos.gob.ar_data.json_2018-04-18.json").read_bytes()
    guangxi = (real / "china_provincial_portals_scraped_2021" / "guangxi.jsonl").read_bytes()
    serve = {"argentina": lambda p, b, base: (200, argentina, "application/json")}
    return [
        harvest(store, ReplayCatalogue(packages=demo.packages, organizations=demo.organizations, groups=demo.groups),
                lambda base: {**demo_profile(base), "politeness": FAST}),
        harvest(store, tokyo, lambda base: shipped("tokyo", base)),
        harvest(store, ReplayCatalogue(packages=[], routes={"/catalog.ttl": zurich_page}),
                lambda base: shipped("zurich", base, catalogue_url=f"{base}/catalog.ttl?page=1")),
        harvest(store, ReplayCatalogue(packages=[], routes={"/data.json": serve["argentina"]}),
                lambda base: shipped("argentina", base, catalogue_url=f"{base}/data.json")),
        harvest(store, ReplayCatalogue(packages=[], files={"catalogue/file": (guangxi, "application/octet-stream")}),
                lambda base: shipped("guangxi", base, source=f"{base}/catalogue/file")),
    ]


def assess(store: Any, profile: dict[str, Any], shacl: bool = True) -> tuple[Any, list[dict[str, Any]], float]:
    from checks.assess import AssessOptions
    from odq.pipeline import assess_and_score

    if shacl:
        os.environ["ODQ_DCAT_AP_SHAPES"] = str(SHAPES)
    else:
        os.environ.pop("ODQ_DCAT_AP_SHAPES", None)
    started = time.perf_counter()
    assessment, scores = assess_and_score(store, profile, http=None,
                                          options=AssessOptions(check_links=False, validate_files=False))
    return assessment, scores, time.perf_counter() - started


def lenses(profile: dict[str, Any], assessment: Any, scores: list[dict[str, Any]], html: str) -> dict[str, Any]:
    by_system = {s["system"]: s for s in scores}
    mqa = by_system["eu-mqa"]
    watch = [m for m in assessment.measures if m["family"] == "portalwatch"]
    cstc = {k: v for k, v in by_system.items() if k != "eu-mqa"}
    return {
        "portal": profile["id"], "level": profile["level"],
        "mqa": f"{mqa['total']:.1f} / {mqa['known_maximum']:g} ({mqa['full_maximum']:g}) {mqa.get('tier_en')}",
        "portalwatch": f"{sum(m['value'] is not None for m in watch)} of {len(watch)} metrics measured, mean "
                       f"{statistics.mean(m['value'] for m in watch if m['value'] is not None):.3f}",
        "cstc": {k: (None if not v.get("applicable") else round(v["composite"], 3)) for k, v in cstc.items()},
        "report_has_lenses": 'id="lenses"' in html and "MQA" in html and "Open Data Portal Watch" in html,
    }


def dimension_points(measures: list[dict[str, Any]], lenient: bool = False, urls: float | None = None
                     ) -> dict[str, Any]:
    """The eu-mqa points per dimension; `urls` puts a value on the unchecked URL indicators (0: all dead)."""
    from checks.scoring import load_system, score

    by_id = {m["measure_id"]: m for m in measures}
    changed = []
    for m in measures:
        if lenient and f"{m['measure_id']}_lenient" in by_id:
            m = {**m, "value": by_id[f"{m['measure_id']}_lenient"]["value"]}
        if urls is not None and m["measure_id"] in URL_POINTS:
            m = {**m, "value": urls}
        changed.append(m)
    result = score(load_system("eu-mqa"), "city", changed)
    row = {i["id"]: round(i["points"], 2) for i in result["indicators"]}
    row["total"] = f"{result['total']:.2f} / {result['known_maximum']:g} {result.get('tier_en')}"
    return row


def main() -> None:
    from harvester.store import Store
    from odq.pipeline import report

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="odq-bench-mqa-"))
    store = Store(f"sqlite:///{work / 'odq.sqlite'}")
    assessed, profiles = {}, {}
    for profile in portals(store):
        profiles[profile["id"]] = profile
        assessment, scores, _seconds = assess(store, profile)
        html = report(store, profile["id"], work / profile["id"], lang="zh").read_text(encoding="utf-8")
        assessed[profile["id"]] = assessment
        print(json.dumps(lenses(profile, assessment, scores, html), ensure_ascii=False))
    zurich = assessed["zurich"].measures
    for name, lenient in (("strict", False), ("lenient", True)):
        for label, urls in (("URL points unknown", None), ("URL points 0", 0.0), ("URL points full", 1.0)):
            print(json.dumps({"zurich": name, "urls": label, **dimension_points(zurich, lenient, urls)}))
    dcat_ap = next(m for m in zurich if m["measure_id"] == "mqa_dcat_ap_compliant")["detail"]
    print(json.dumps({"zurich_dcat_ap": {k: dcat_ap[k] for k in ("version", "datasets", "failed")},
                      "violations_by_shape": dcat_ap["violations_by_shape"]}, ensure_ascii=False))
    for portal_id in ("zurich", "tokyo"):
        profile = profiles[portal_id]
        timed = {flag: statistics.median(assess(store, profile, flag)[2] for _ in range(args.runs))
                 for flag in (True, False)}
        print(json.dumps({"timing": portal_id, "runs": args.runs, "with_shacl_s": round(timed[True], 2),
                          "without_shacl_s": round(timed[False], 2),
                          "added_by_shacl_s": round(timed[True] - timed[False], 2)}))


if __name__ == "__main__":
    main()
