"""The assessment of one harvest: link checks and file samples, the measure families, GX suites, stored measures."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from checks import classification, conformance, domains, fields, formats, frequency, mqa, portalwatch, shacl, usage
from checks.catalogue import Catalogue, load_catalogue
from checks.expectations import run_suites
from checks.files import sample_files, validate_file
from checks.links import check_links, sample_urls
from checks.measures import MAX_FINDINGS_PER_MEASURE, FamilyResult, MeasureSpec
from checks.per_dataset import run_passes
from checks.results import Results
from checks.rules import Rules, default_rules
from harvester.http import Http
from harvester.store import Store

FAMILIES = ("classification", "fields", "frequency", "formats", "domains", "usage", "conformance", "portalwatch", "mqa")


@dataclass(slots=True)
class AssessOptions:
    check_links: bool = True
    link_limit: int | None = 2000  # per harvest; a deterministic sample above it
    link_reuse_days: float = 7.0
    validate_files: bool = True
    file_sample: int = 20
    min_domain_datasets: int | None = None  # None: the N of the indicator profiles' coverage scorers
    workers: int = 8
    rules: Rules | None = None  # None: the shipped rules profile (profiles/rules/odq-default.yaml)
    fetcher: Any = None  # None: links and files on threads here; odq.executor.ClusterFetcher spreads them on a cluster


@dataclass(slots=True)
class Assessment:
    harvest_id: int
    measures: list[dict[str, Any]]
    findings: list[dict[str, Any]]
    findings_total: int
    timings: dict[str, float] = field(default_factory=dict)

    def measure(self, measure_id: str) -> dict[str, Any]:
        return next(m for m in self.measures if m["measure_id"] == measure_id)


class NothingToAssess(LookupError):
    pass


Progress = Callable[[str, int, int | None], None]


def assess_harvest(
    store: Store,
    portal: dict[str, Any],
    http: Http,
    *,
    harvest_id: int | None = None,
    options: AssessOptions | None = None,
    progress: Progress | None = None,
) -> Assessment:
    options = options or AssessOptions()
    if harvest_id is None:
        current = store.current_harvest(portal["id"])
        if current is None:
            raise NothingToAssess(f"portal {portal['id']!r} has no complete harvest yet: run `odq harvest` first")
        harvest_id = current.id
    timings: dict[str, float] = {}
    started = time.perf_counter()
    # Distributions always: openness stars judge URLs (extension before declared format) even without link checks.
    catalogue = load_catalogue(store, harvest_id, portal, with_distributions=True)
    timings["load"] = time.perf_counter() - started

    if options.check_links:
        t0 = time.perf_counter()
        urls = sample_urls(catalogue.distributions["url"], options.link_limit)
        done = 0

        def tick(n: int) -> None:
            nonlocal done
            done += n
            if progress:
                progress("links", done, len(urls))

        catalogue.links = check_links(http, urls, store=store, reuse_days=options.link_reuse_days,
                                      workers=options.workers, progress=tick,
                                      runner=options.fetcher.check_links if options.fetcher else None)
        timings["links"] = time.perf_counter() - t0
    if options.validate_files:
        t0 = time.perf_counter()
        catalogue.files = _validate_sample(store, http, catalogue, options)
        Results(store).save_file_reports(harvest_id, catalogue.files)
        timings["files"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    rules = options.rules or default_rules()
    # The record-level families share one streamed read of the records (a million would not fit as objects).
    field_docs, watch, mqa_scores = run_passes(
        store.records(harvest_id),
        [fields.FieldsPass(catalogue, rules.fields), portalwatch.PortalWatchPass(),
         mqa.MqaPass(_link_verdicts(catalogue))],
        size=shacl.BATCH,
    )
    results = [
        classification.evaluate(catalogue),
        field_docs,
        frequency.evaluate(catalogue, rules.frequency),
        formats.evaluate(catalogue, rules.formats),
        domains.evaluate(catalogue, domain_threshold(options)),
        usage.evaluate(catalogue, rules.usage),
        conformance.evaluate(catalogue, _raw_entries(store, harvest_id, portal)),
        watch,
        mqa_scores,
    ]
    timings["measures"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    outcomes = run_suites(results)
    timings["expectations"] = time.perf_counter() - t0

    measures, findings, total = _collect(results, outcomes, catalogue)
    _record_rules(measures, rules)
    Results(store).save_assessment(harvest_id, measures, findings)
    timings["total"] = time.perf_counter() - started
    return Assessment(harvest_id, measures, findings, total, {k: round(v, 3) for k, v in timings.items()})


def _raw_entries(store: Store, harvest_id: int, portal: dict[str, Any]) -> Any:
    """The entries as the portal served them, for the schema a family's format has (data.json: POD)."""
    if portal.get("software") != "datajson":
        return None
    return ((record.native_id, record.raw) for record in store.records(harvest_id, with_raw=True))


def _link_verdicts(catalogue: Catalogue) -> dict[str, bool | None]:
    """Each checked URL's answer: True (2xx/3xx), False (dead), None (unknown: the check failed on odq's side)."""
    links = catalogue.links
    if links is None or links.empty:
        return {}
    pairs = zip(links["url"], links["alive"], strict=True)
    return {url: (None if pd.isna(alive) else bool(alive)) for url, alive in pairs}


def domain_threshold(options: AssessOptions) -> int:
    """The N datasets that make a domain covered: the option when given, else the N the indicator profiles score."""
    if options.min_domain_datasets is not None:
        return options.min_domain_datasets
    from checks.scoring import coverage_threshold

    return coverage_threshold() or 1  # no system scores coverage: a domain with any dataset is covered


def _validate_sample(store: Store, http: Http, catalogue: Catalogue, options: AssessOptions) -> list[dict[str, Any]]:
    links = catalogue.links
    broken = (set(links.loc[links["alive"].eq(False).fillna(False).astype(bool), "url"])
              if links is not None and not links.empty else set())
    sample = sample_files(catalogue.distributions, catalogue.datasets, options.file_sample, broken)
    if sample.empty:
        return []
    documents = store.documents(catalogue.harvest_id, sample["native_id"].tolist())
    rows = list(sample.itertuples(index=False))
    jobs = [(row.url, row.format, _declared_fields(documents.get(row.native_id) or {}, row.position)) for row in rows]
    if options.fetcher is not None:
        reports = options.fetcher.validate_files(jobs)
    else:
        with ThreadPoolExecutor(max_workers=max(1, min(options.workers, 4))) as pool:
            reports = list(pool.map(lambda job: validate_file(http, *job), jobs))
    for row, report in zip(rows, reports, strict=True):
        report.update(native_id=row.native_id, title=catalogue.datasets.at[row.native_id, "title"])
    return reports


def _declared_fields(document: dict[str, Any], position: int) -> list[dict[str, Any]] | None:
    """The columns declared for one file: its own schema, else the dataset's field list when it has one table."""
    distributions = document.get("distributions") or []
    own = distributions[position].get("field_names") if position < len(distributions) else None
    if own:
        documented = {f["name"]: f for f in document.get("fields") or []}
        return [documented.get(name, {"name": name}) for name in own]
    tables = [d for d in distributions if d.get("format") in ("CSV", "TSV", "XLS", "XLSX", "ODS")]
    return (document.get("fields") or None) if len(tables) == 1 else None


def _record_rules(measures: list[dict[str, Any]], rules: Rules) -> None:
    """Each measure keeps the rule parameters it was taken with, so scores and reports show the values used."""
    for measure in measures:
        used = rules.for_measure(measure["measure_id"])
        if used:
            measure["detail"]["parameters"] = [p.as_json() for p in used]


def _spec_detail(spec: MeasureSpec) -> dict[str, Any]:
    return {"unit": spec.unit, "title_zh": spec.title_zh, "title_en": spec.title_en, "good": spec.good,
            "point": spec.point}


def _collect(
    results: list[FamilyResult], outcomes: dict[str, Any], catalogue: Catalogue
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    measures: list[dict[str, Any]] = []
    findings: list[dict[str, Any]] = []
    total = 0
    titles = catalogue.datasets["title"]
    for result in results:
        for check in result.shares:
            outcome = outcomes[check.spec.id]
            measures.append({
                "measure_id": check.spec.id, "family": result.family, "value": outcome.value,
                "detail": {**_spec_detail(check.spec), "applicable": outcome.applicable, "failed": outcome.failed,
                           "expectation_met": outcome.success, "mostly": check.mostly},
            })
            failing = check.passed.astype("boolean").eq(False).fillna(False).astype(bool)
            total += int(failing.sum())
            ids = failing[failing].index[:MAX_FINDINGS_PER_MEASURE]
            findings.extend(
                said.row(result.family, check.spec.id, native_id, titles.get(native_id))
                for native_id, said in zip(ids, check.explained(ids), strict=True)
            )
        for spec, value, detail in result.values.values():
            measures.append({"measure_id": spec.id, "family": result.family, "value": value,
                             "detail": {**_spec_detail(spec), **_jsonable(detail)}})
        findings.extend({**f, "title": f.get("title") or (titles.get(f["native_id"]) if f.get("native_id") else None)}
                        for f in result.findings)
        total += len(result.findings)
    return measures, findings, total


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value
