"""`odq schedule` (harvest, assess and report every portal whose cron schedule is due) and the `--all` runs of
`odq assess` and `odq report`: one line per portal and step. Registered by the main CLI; heavy imports inside."""

from __future__ import annotations

import json
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

_SIGNAL_EXIT = {"SIGINT": 130, "SIGTERM": 143}


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()  # a log read while it runs (journald, a pipe)


def _stamp(outcome: Any) -> None:
    _say(f"{datetime.now(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')} {outcome.line()}")


def _split(values: list[str] | None) -> list[str]:
    return [part.strip() for value in values or [] for part in value.split(",") if part.strip()]


def _scheduled_portals(wanted: list[str]) -> tuple[list[Any], list[Any]]:
    """The profiles on the search path with a schedule (only those in `wanted`, when given), and the outcomes of
    the profiles that could not be read. A portal named in --portals that is unknown or unscheduled is a mistake."""
    from harvester.profiles import ProfileError, portal_entries
    from odq.scheduler import ScheduledPortal
    from odq.steps import Outcome

    entries = {entry.portal_id: entry for entry in portal_entries()}
    if wanted:
        unknown = [name for name in wanted if name not in entries]
        if unknown:
            raise ProfileError(f"--portals: no portal profile with id {', '.join(map(repr, unknown))} on the "
                               "profile search path")
        unscheduled = [name for name in wanted if entries[name].profile is not None
                       and not entries[name].profile.get("schedule")]
        if unscheduled:
            raise ProfileError(f"--portals: {', '.join(map(repr, unscheduled))} has no `schedule` in its profile")
        chosen = [entries[name] for name in dict.fromkeys(wanted)]
    else:
        chosen = list(entries.values())
    portals, broken = [], []
    for entry in chosen:
        if entry.profile is None:
            broken.append(Outcome(entry.portal_id, "profile", "failed", entry.error or "unreadable"))
        elif entry.profile.get("schedule"):
            portals.append(ScheduledPortal(entry.portal_id, entry.profile["schedule"], entry.profile))
    return portals, broken


def schedule(
    db: Annotated[str | None, typer.Option("--db", help="Database URL (default: ODQ_DATABASE_URL or "
                                           "~/.local/share/odq/odq.sqlite).")] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Write each assessed portal's report to "
                                                 "DIR/<portal id>/ (without it, no reports are written).")] = None,
    once: Annotated[bool, typer.Option("--once", help="Run what is due now and exit (for a system cron or a "
                                       "test).")] = False,
    portals: Annotated[list[str] | None, typer.Option("--portals", help="Only these portal ids (comma-separated, "
                                                      "repeatable).")] = None,
    max_runtime: Annotated[float | None, typer.Option("--max-runtime", min=0, help="Keep running this many seconds, "
                                                      "then start no new job and exit when the running ones "
                                                      "end.")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Portals worked on at once.")] = 4,
    allow_host: Annotated[list[str] | None, typer.Option("--allow-host", help="Host or IP the address guard lets "
                                                         "through although it is private or loopback "
                                                         "(repeatable).")] = None,
    links: Annotated[bool, typer.Option(help="Check distribution links when assessing.")] = True,
    files: Annotated[bool, typer.Option(help="Validate a sample of tabular files when assessing.")] = True,
    lang: Annotated[str, typer.Option(help="Report language: zh or en.")] = "zh",
) -> None:
    """Harvest every portal whose cron `schedule` (UTC) is due, then assess it and write its report.

    Runs until stopped (SIGINT/SIGTERM: running harvests end as interrupted, the last complete harvest stays
    current) or --max-runtime; --once runs what is due now and exits. A portal another process is harvesting is
    skipped with one line. Profiles are read when it starts. Exit status 1 when a step failed.
    """
    import signal

    from checks.assess import AssessOptions
    from odq.cli import _check_lang, _store  # the CLI's wording of store errors
    from odq.scheduler import PortalJobs, run_once, run_scheduled

    _check_lang(lang)
    scheduled, broken = _scheduled_portals(_split(portals))
    store = _store(db)
    jobs = PortalJobs(store, _stamp, allow_hosts=allow_host or [], out_dir=out_dir, lang=lang,
                      assess_options=AssessOptions(check_links=links, validate_files=files))
    for outcome in broken:
        jobs.record(outcome)
    stopped = threading.Event()

    def on_signal(number: int, _frame: Any) -> None:
        jobs.stop.set(f"stopped by {signal.Signals(number).name}")
        stopped.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        if once:
            if not run_once(scheduled, jobs, workers=workers) and not jobs.stop.reason:
                _say(f"no portal is due ({len(scheduled)} scheduled)")
        elif not scheduled:
            _say("no portal has a schedule")
        else:
            def started(portal: Any, next_run: datetime) -> None:
                _say(f"{portal.portal_id} scheduled '{portal.schedule}' (UTC): next run "
                     f"{next_run.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}")

            run_scheduled(scheduled, jobs, stopped, workers=workers, max_runtime=max_runtime, started=started)
            if not jobs.stop.reason:
                _say(f"schedule ended: the max runtime of {max_runtime:g} s passed")
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if jobs.stop.reason:
        _say(f"schedule {jobs.stop.reason}")
        raise typer.Exit(_SIGNAL_EXIT.get(jobs.stop.reason.removeprefix("stopped by "), 1))
    if any(outcome.failed for outcome in jobs.outcomes):
        raise typer.Exit(1)


# -- `odq assess --all`, `odq report --all` --------------------------------------------------------
def _finish(outcomes: list[Any], what: str, store: Any, json_output: bool) -> None:
    if json_output:
        sys.stdout.write(json.dumps([o.to_dict() for o in outcomes], ensure_ascii=False, indent=2) + "\n")
    failed = sum(outcome.failed for outcome in outcomes)
    if not outcomes:
        print(f"no portal in {store.url} has a complete current harvest", file=sys.stderr)
    elif not json_output:
        _say(f"{len(outcomes) - failed} of {len(outcomes)} portals {what}" + (f", {failed} failed" if failed else ""))
    if failed:
        raise typer.Exit(1)


def assess_all_portals(store: Any, allow_hosts: list[str], options: Any, facts_file: Path | None,
                       json_output: bool, scheduler: str | None = None) -> None:
    """`odq assess --all`: every portal with a complete current harvest, one line each (on a Dask cluster with
    `scheduler`)."""
    from checks.facts import load_facts
    from odq.executor import open_executor
    from odq.steps import assess_all

    facts = load_facts(facts_file) if facts_file is not None else None
    emit = (lambda _outcome: None) if json_output else (lambda outcome: _say(outcome.line()))
    with open_executor(scheduler, store) as executor:
        outcomes = assess_all(store, emit, allow_hosts, options, facts=facts, executor=executor)
    _finish(outcomes, "assessed", store, json_output)


def report_all_portals(store: Any, out_dir: Path, lang: str, json_output: bool = False) -> None:
    """`odq report --all --out DIR`: DIR/<portal id>/ for every portal with a complete current harvest."""
    from odq.steps import report_all

    emit = (lambda _outcome: None) if json_output else (lambda outcome: _say(outcome.line()))
    _finish(report_all(store, out_dir, emit, lang=lang), "reported", store, json_output)
