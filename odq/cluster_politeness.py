"""Per-host politeness across a Dask cluster: one small actor holds every host's slots and next start time.

Every request a worker makes asks the actor for a slot on its host (the budget's `concurrency`) and the time to
wait before it may start (the budget's requests per second), as `harvester.http._HostBudget` does in one process.
An actor, not `distributed.Semaphore` + `Lock` + `Variable`: one round trip to one worker per request instead of
several through the scheduler. Slots are leases that run out, so a worker that dies holding one does not keep the
host's budget forever. The actor is published on the scheduler under one name, so concurrent runs on the same
cluster share it too.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from typing import Any

from harvester.http import DEFAULT_REQUEST_DEADLINE, Politeness

DATASET = "odq-host-budgets"  # the name the actor is published under on the scheduler
LEASE_SLACK = 60.0  # seconds past a request's deadline before its slot is taken back


@dataclass(slots=True)
class _Host:
    leases: dict[int, float] = field(default_factory=dict)  # lease token -> expiry (the actor's clock)
    next_start: float = 0.0
    changed: asyncio.Condition | None = None  # made on the actor's event loop, on first use


class HostBudgets:
    """The actor: slots and start times per host for every worker of the cluster."""

    def __init__(self) -> None:
        self._hosts: dict[str, _Host] = {}
        self._tokens = itertools.count(1)
        self.granted = 0

    async def acquire(self, host: str, concurrency: int, interval: float, lease_seconds: float) -> tuple[int, float]:
        """A slot on `host` (waiting for one to free), and how many seconds to wait before starting."""
        state = self._hosts.setdefault(host, _Host())
        if state.changed is None:
            state.changed = asyncio.Condition()
        async with state.changed:
            while True:
                now = time.monotonic()
                for token in [t for t, expiry in state.leases.items() if expiry <= now]:
                    del state.leases[token]  # its worker died or hung: the budget comes back
                if len(state.leases) < max(1, concurrency):
                    break
                soonest = min(state.leases.values()) - now
                with suppress(TimeoutError):
                    await asyncio.wait_for(state.changed.wait(), timeout=max(0.01, soonest))
            token = next(self._tokens)
            state.leases[token] = now + lease_seconds
            start = max(now, state.next_start)
            state.next_start = start + interval
            self.granted += 1
        return token, start - now

    async def release(self, host: str, token: int) -> None:
        state = self._hosts.get(host)
        if state is None or state.changed is None:
            return
        async with state.changed:
            state.leases.pop(token, None)
            state.changed.notify()

    def in_flight(self) -> dict[str, int]:
        return {host: len(state.leases) for host, state in self._hosts.items() if state.leases}


@dataclass(frozen=True)
class ClusterBudgets:
    """`harvester.http.SharedBudgets` over the actor; small and picklable, so tasks carry it to their workers."""

    actor: Any  # a distributed.Actor proxy of HostBudgets
    lease_seconds: float = DEFAULT_REQUEST_DEADLINE + LEASE_SLACK

    def bound(self) -> ClusterBudgets:
        """These budgets for the threads of the task calling this on a worker: the proxy finds its worker through
        a context variable that a task's own threads (link checks, page fetches) do not inherit."""
        from distributed import get_worker
        from distributed.actor import Actor

        actor = self.actor
        return replace(self, actor=Actor(actor._cls, actor._address, actor.key, worker=get_worker()))

    @contextmanager
    def slot(self, host: str, politeness: Politeness) -> Iterator[None]:
        rate = politeness.requests_per_second
        interval = 1.0 / rate if rate > 0 else 0.0
        token, wait = self.actor.acquire(host, politeness.concurrency, interval, self.lease_seconds).result()
        try:
            if wait > 0:
                time.sleep(wait)
            yield
        finally:
            self.actor.release(host, token)  # not waited for: the next acquire need not pay its round trip


def cluster_budgets(client: Any) -> ClusterBudgets:
    """The cluster's actor: the published one when it is alive, else a new one, published for later runs."""
    for _attempt in range(3):
        try:
            future = client.get_dataset(DATASET)
        except KeyError:
            future = None
        if future is not None:
            try:
                return ClusterBudgets(future.result(timeout=30))
            except Exception:  # the worker holding it is gone: make a new one
                client.unpublish_dataset(DATASET)
        future = client.submit(HostBudgets, actor=True, pure=False)
        try:
            client.publish_dataset(**{DATASET: future})
        except KeyError:  # another run published one meanwhile: use theirs
            client.cancel(future)
            continue
        return ClusterBudgets(future.result(timeout=60))
    raise RuntimeError("could not set up the cluster's host budgets")
