"""The steps after a harvest, composed: assess, score under every indicator system, write the report."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from checks.assess import Assessment, AssessOptions, assess_harvest
from checks.facts import Fact
from checks.results import Results
from checks.scoring import load_systems, score
from harvester.http import Http, Politeness, SharedBudgets
from harvester.run import HarvestResult, HarvestStopped, StopRequest, run_harvest
from harvester.store import Store
from reports.dqv import harvest_quality_graph
from reports.model import build_report
from reports.rdf import FORMATS, serialise
from reports.render import write_report

if TYPE_CHECKING:
    from odq.executor import Executor


def make_http(profile: dict[str, Any] | None = None, allow_hosts: list[str] | tuple[str, ...] = (),
              shared_budgets: SharedBudgets | None = None) -> Http:
    """The client for one portal: its politeness and allow-list from the profile, plus the operator's hosts.

    `shared_budgets`: a cluster's host budgets (odq.cluster_politeness); None keeps them in this process."""
    profile = profile or {}
    return Http(allow_hosts=portal_hosts(profile, allow_hosts), politeness=Politeness.from_profile(
        profile.get("politeness")), shared_budgets=shared_budgets)


def portal_hosts(profile: dict[str, Any], allow_hosts: list[str] | tuple[str, ...] = ()) -> list[str]:
    """The hosts the guard lets through for this portal: the operator's, then the profile's."""
    return [*allow_hosts, *(profile.get("allow_hosts") or [])]


def harvest_many(
    profiles: list[dict[str, Any]], store: Store, allow_hosts: list[str] | tuple[str, ...] = (), workers: int = 4,
    incremental: bool = False, accept_empty: bool = False, stop: StopRequest | None = None,
    executor: Executor | None = None,
) -> list[HarvestResult | Exception]:
    """Harvest several portals at once; each has its own client, so each keeps its own politeness budget
    (on a cluster, `executor` a DaskExecutor, a host's budget is the cluster's).

    A portal another process is harvesting comes back as its HarvestLocked; `stop` (set by a signal handler)
    ends every running harvest as interrupted at its next record."""
    from odq.executor import HarvestJob, LocalExecutor, harvest_job

    executor = executor or LocalExecutor(store, workers)
    jobs = [HarvestJob(profile, tuple(allow_hosts), incremental, accept_empty) for profile in profiles]
    return executor.map(harvest_job, jobs, [profile["id"] for profile in profiles], stop=stop)


def harvest_portal(
    profile: dict[str, Any], store: Store, allow_hosts: list[str] | tuple[str, ...] = (), *,
    incremental: bool = False, accept_empty: bool = False, stop: StopRequest | None = None,
    shared_budgets: SharedBudgets | None = None,
) -> HarvestResult | Exception:
    """One portal of a run over many (`harvest --due/--all`, `schedule`): its own client; a failure, a refusal
    (HarvestLocked) or a stop (HarvestStopped) comes back as the exception instead of stopping the others."""
    http = make_http(profile, allow_hosts, shared_budgets)
    try:
        return run_harvest(profile, store, http, incremental=incremental, accept_empty=accept_empty, stop=stop)
    except (Exception, HarvestStopped) as exc:  # one portal's failure must not stop the others
        return exc
    finally:
        http.close()


def score_harvest(
    store: Store, portal: dict[str, Any], harvest_id: int, measures: list[dict[str, Any]] | None = None,
    facts: Sequence[Fact] | None = None,
) -> list[dict[str, Any]]:
    """Score one assessed harvest under every indicator system; a system that does not cover the level says so.

    `facts` are the evaluator's facts for this portal: they fill what odq could not measure, with provenance.
    """
    measures = measures if measures is not None else Results(store).measures(harvest_id)
    results = []
    for system in load_systems():
        result = score(system, portal["level"], measures, facts=facts)
        Results(store).save_score(harvest_id, system["id"], portal["level"], result)
        results.append(result)
    return results


def assess_and_score(
    store: Store, portal: dict[str, Any], http: Http, options: AssessOptions | None = None, progress: Any = None,
    facts: Sequence[Fact] | None = None,
) -> tuple[Assessment, list[dict[str, Any]]]:
    assessment = assess_harvest(store, portal, http, options=options, progress=progress)
    return assessment, score_harvest(store, portal, assessment.harvest_id, assessment.measures, facts=facts)


def report(store: Store, portal_id: str, out_dir: Path, lang: str = "zh") -> Path:
    """The portal's report, with its measures as W3C DQV (Turtle and JSON-LD) beside it."""
    content = build_report(store, portal_id)
    quality = harvest_quality_graph(store, portal_id)
    attachments = {f"quality{suffix}": serialise(quality, fmt) for fmt, suffix in FORMATS.items()}
    return write_report(content, out_dir, lang=lang, attachments=attachments)
