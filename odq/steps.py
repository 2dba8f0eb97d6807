"""One portal's steps — harvest, assess, report — each told as one Outcome line, so that `odq schedule` and the
`--all` commands can run many portals and let one portal's failure stop none of the others."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the steps import their layers when they run, so `odq --help` stays fast
    from checks.assess import AssessOptions
    from checks.facts import Fact, FactSheet
    from harvester.http import SharedBudgets
    from harvester.run import StopRequest
    from harvester.store import Store
    from odq.executor import Executor

# A harvest's own statuses, then the steps' verdicts. "skipped": another process holds the portal's harvest lock.
_FINE = frozenset(("complete", "done", "skipped", "not due"))
_PORTAL_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")  # the profile schema's id pattern: safe as a directory name
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")  # portal text may carry terminal escapes; a line stays a line

Emit = Callable[["Outcome"], None]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one step did for one portal."""

    portal_id: str
    step: str  # "profile", "harvest", "assess" or "report"
    status: str  # a harvest's status (complete, partial, failed, interrupted, suspicious), or done/failed/skipped
    detail: str
    harvest_id: int | None = None
    path: Path | None = None

    @property
    def failed(self) -> bool:
        return self.status not in _FINE

    def line(self) -> str:
        return printable(f"{self.portal_id} {self.step} {self.status}: {self.detail}")

    def to_dict(self) -> dict[str, Any]:
        return {"portal_id": self.portal_id, "step": self.step, "status": self.status, "detail": self.detail,
                "harvest_id": self.harvest_id, "path": str(self.path) if self.path else None}


def printable(text: str) -> str:
    """One line without control characters."""
    return " ".join(_CONTROL.sub(" ", text).split())


def _reason(exc: BaseException) -> str:
    """An exception in a few words; the type too when it is not one of odq's worded refusals."""
    from harvester.profiles import ProfileError

    text = " ".join(str(exc).split())
    if isinstance(exc, ProfileError | LookupError) and text:
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# -- the steps --------------------------------------------------------------------------------------
def harvest_step(profile: dict[str, Any], store: Store, allow_hosts: Sequence[str] = (), *,
                 stop: StopRequest | None = None) -> Outcome:
    """Harvest as `odq harvest` does (run_harvest, the portal's lock); a locked portal is skipped."""
    from harvester.run import HarvestLocked, HarvestStopped
    from odq.pipeline import harvest_portal

    portal_id = profile["id"]
    result = harvest_portal(profile, store, tuple(allow_hosts), stop=stop)
    if isinstance(result, HarvestLocked):
        return Outcome(portal_id, "harvest", "skipped", str(result))
    if isinstance(result, HarvestStopped):
        return Outcome(portal_id, "harvest", "interrupted",
                       f"{result.reason}; the last complete harvest stays current")
    if isinstance(result, BaseException):
        return Outcome(portal_id, "harvest", "failed", _reason(result))
    detail = (f"harvest #{result.harvest_id}: {result.datasets:,} datasets ({result.new_records:,} new versions), "
              f"{result.errors_count:,} errors, {result.seconds:.1f} s")
    if result.status != "complete":
        last = result.errors[-1] if result.errors else "not complete"
        detail += f"; {last}; the last complete harvest stays current"
    return Outcome(portal_id, "harvest", result.status, detail, harvest_id=result.harvest_id)


def assess_step(store: Store, profile: dict[str, Any], allow_hosts: Sequence[str] = (),
                options: AssessOptions | None = None, facts: Sequence[Fact] | None = None,
                shared_budgets: SharedBudgets | None = None) -> Outcome:
    """Assess the portal's current harvest and score it under every indicator system, as `odq assess` does."""
    from odq.pipeline import assess_and_score, make_http

    portal_id = profile["id"]
    http = make_http(profile, list(allow_hosts), shared_budgets)
    try:
        assessment, scores = assess_and_score(store, profile, http, options, facts=facts)
    except Exception as exc:  # this portal's failure is its line; the next portal is still assessed
        return Outcome(portal_id, "assess", "failed", _reason(exc))
    finally:
        http.close()
    composites = [" ".join(filter(None, (s["system"], f"{s['composite']:.3f}", s.get("tier"))))
                  for s in scores if s.get("applicable") and s.get("composite") is not None]
    detail = (f"harvest #{assessment.harvest_id}: {len(assessment.measures)} measures, "
              f"{assessment.findings_total:,} findings" + (f"; {', '.join(composites)}" if composites else ""))
    return Outcome(portal_id, "assess", "done", detail, harvest_id=assessment.harvest_id)


def report_step(store: Store, portal_id: str, out_dir: Path, lang: str = "zh") -> Outcome:
    """Write the portal's report into out_dir/<portal id>/, as `odq report` does."""
    from odq.pipeline import report

    if not _PORTAL_ID.match(portal_id):
        return Outcome(portal_id, "report", "failed", "the portal id is not usable as a directory name")
    try:
        path = report(store, portal_id, Path(out_dir) / portal_id, lang=lang)
    except OSError as exc:
        where = exc.filename or out_dir
        return Outcome(portal_id, "report", "failed", f"cannot write {where}: {exc.strerror or _reason(exc)}")
    except Exception as exc:
        return Outcome(portal_id, "report", "failed", _reason(exc))
    return Outcome(portal_id, "report", "done", str(path.resolve()), path=path.resolve())


# -- every portal in the store --------------------------------------------------------------------
def current_portals(store: Store) -> list[dict[str, Any]]:
    """The profiles (as stored) of the portals with a complete current harvest, by id."""
    rows = sorted(store.portals(), key=lambda row: row["id"])
    return [row["profile"] for row in rows if store.current_harvest(row["id"]) is not None]


def assess_all(store: Store, emit: Emit, allow_hosts: Sequence[str] = (), options: AssessOptions | None = None,
               facts: FactSheet | None = None, executor: Executor | None = None) -> list[Outcome]:
    """Assess every portal with a complete current harvest; `facts` is an evaluator's FactSheet or None.

    `executor` (a DaskExecutor) assesses the portals on a cluster, their links and files spread over it too."""
    portals = current_portals(store)

    def facts_of(profile: dict[str, Any]) -> list[Fact] | None:
        return (list(facts.for_portal(profile["id"])) or None) if facts else None

    if executor is None:
        return _each(portals, emit, lambda profile: assess_step(store, profile, allow_hosts, options,
                                                                 facts=facts_of(profile)))
    from odq.executor import AssessJob, assess_job

    jobs = [AssessJob(profile, tuple(allow_hosts), options, facts_of(profile)) for profile in portals]
    names = [profile["id"] for profile in portals]
    results = executor.map(assess_job, jobs, names, on_result=lambda i, r: emit(_assessed(names[i], r)))
    return [_assessed(name, result) for name, result in zip(names, results, strict=True)]


def _assessed(portal_id: str, result: Outcome | BaseException) -> Outcome:
    """A job's outcome; a job the cluster lost (its worker died, it was cancelled) is a failed line."""
    return result if isinstance(result, Outcome) else Outcome(portal_id, "assess", "failed", _reason(result))


def report_all(store: Store, out_dir: Path, emit: Emit, lang: str = "zh") -> list[Outcome]:
    """Write out_dir/<portal id>/ for every portal with a complete current harvest."""
    return _each(current_portals(store), emit, lambda profile: report_step(store, profile["id"], out_dir, lang))


def _each(profiles: Iterable[dict[str, Any]], emit: Emit, step: Callable[[dict[str, Any]], Outcome]
          ) -> list[Outcome]:
    outcomes = []
    for profile in profiles:
        outcome = step(profile)
        emit(outcome)
        outcomes.append(outcome)
    return outcomes
