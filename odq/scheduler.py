"""`odq schedule`'s jobs: each portal's cron `schedule` (UTC) fires harvest → assess → report, in-process with
APScheduler; a portal another process is harvesting is skipped and the others go on."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, JobSubmissionEvent
from apscheduler.executors.pool import ThreadPoolExecutor as JobThreads
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from croniter import croniter

from checks.assess import AssessOptions
from harvester.run import StopRequest
from harvester.schedule import is_due, last_due_time
from harvester.store import Store
from odq.steps import Emit, Outcome, assess_step, harvest_step, report_step

# Cron nicknames as five fields, the reading croniter gives them (is_due reads them through croniter too).
_NICKNAMES = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
              "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"}


class CronUtcTrigger(BaseTrigger):
    """A profile's five-field cron expression, in UTC, read by croniter — the reading `is_due` uses.

    Not APScheduler 3's CronTrigger.from_crontab: it numbers weekdays from Monday (so '0 3 * * 1' fires on
    Tuesdays) and requires both day-of-month and day-of-week where cron takes either."""

    def __init__(self, schedule: str) -> None:
        text = schedule.strip()
        self.schedule = _NICKNAMES.get(text.lower(), text)
        last_due_time(self.schedule, datetime.now(UTC).replace(tzinfo=None))  # refuses a bad one, worded

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime:
        start = (previous_fire_time or now).astimezone(UTC)
        return croniter(self.schedule, start).get_next(datetime)

    def __str__(self) -> str:
        return f"cron[{self.schedule} UTC]"


@dataclass(frozen=True, slots=True)
class ScheduledPortal:
    portal_id: str
    schedule: str
    profile: dict[str, Any]


@dataclass
class PortalJobs:
    """What a fired schedule does for one portal: harvest; when complete, assess; when assessed, the report.

    `stop` (set by a signal) ends running harvests as interrupted at their next record and starts no new step."""

    store: Store
    emit: Emit
    allow_hosts: Sequence[str] = ()
    assess_options: AssessOptions | None = None
    out_dir: Path | None = None
    lang: str = "zh"
    stop: StopRequest = field(default_factory=StopRequest)
    outcomes: list[Outcome] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, outcome: Outcome) -> Outcome:
        with self._lock:
            self.outcomes.append(outcome)
            self.emit(outcome)
        return outcome

    def run(self, portal: ScheduledPortal) -> None:
        try:
            self._run(portal)
        except Exception as exc:  # a job must never take the scheduler down; the line says what broke
            self.record(Outcome(portal.portal_id, "schedule", "failed", f"{type(exc).__name__}: {exc}"))

    def _run(self, portal: ScheduledPortal) -> None:
        if self.stop.reason is not None:
            return
        profile = portal.profile
        if not is_due(profile, self.store):  # another process (cron, a second scheduler) harvested it since
            latest = self.store.harvests(portal.portal_id)[-1]
            self.record(Outcome(portal.portal_id, "harvest", "not due",
                                f"harvest #{latest.id} started {latest.started_at.isoformat(timespec='seconds')}Z, "
                                "after the schedule last fired"))
            return
        harvest = self.record(harvest_step(profile, self.store, self.allow_hosts, stop=self.stop))
        if harvest.status != "complete" or self.stop.reason is not None:
            return
        assessed = self.record(assess_step(self.store, profile, self.allow_hosts, self.assess_options))
        if assessed.failed or self.out_dir is None or self.stop.reason is not None:
            return
        self.record(report_step(self.store, portal.portal_id, self.out_dir, self.lang))


def due_portals(portals: Sequence[ScheduledPortal], store: Store) -> list[ScheduledPortal]:
    return [portal for portal in portals if is_due(portal.profile, store)]


def run_once(portals: Sequence[ScheduledPortal], jobs: PortalJobs, workers: int = 4) -> list[ScheduledPortal]:
    """Run the jobs of the portals due now, several at once; returns the portals that were due."""
    due = due_portals(portals, jobs.store)
    if due:
        with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="odq-schedule") as pool:
            list(pool.map(jobs.run, due))
    return due


def run_scheduled(portals: Sequence[ScheduledPortal], jobs: PortalJobs, stopped: threading.Event,
                  workers: int = 4, max_runtime: float | None = None,
                  started: Callable[[ScheduledPortal, datetime], None] | None = None) -> None:
    """Run every portal's job at each time its schedule fires (a portal already due at start runs at once), until
    `stopped` is set or `max_runtime` seconds pass; then wait for the running jobs (a stop interrupts harvests).

    `started(portal, next_run)` is told each portal's first run, for the start-up lines."""
    logging.getLogger("apscheduler").setLevel(logging.ERROR)  # its notices are odq's lines here
    scheduler = BackgroundScheduler(
        timezone=UTC, executors={"default": JobThreads(max(1, workers))},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None})

    def still_running(event: JobSubmissionEvent) -> None:
        jobs.record(Outcome(event.job_id, "harvest", "skipped", "its previous job is still running"))

    scheduler.add_listener(still_running, EVENT_JOB_MAX_INSTANCES)
    now = datetime.now(UTC)
    for portal in portals:
        extra = {"next_run_time": now} if is_due(portal.profile, jobs.store) else {}
        job = scheduler.add_job(jobs.run, CronUtcTrigger(portal.schedule), args=[portal], id=portal.portal_id,
                                name=f"odq schedule {portal.portal_id}", **extra)
        if started is not None:
            started(portal, extra.get("next_run_time") or job.trigger.get_next_fire_time(None, now))
    scheduler.start()
    try:
        stopped.wait(max_runtime)
    finally:
        scheduler.shutdown(wait=True)
