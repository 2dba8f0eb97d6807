"""Where a round's per-portal work runs: threads in this process (LocalExecutor) or a Dask cluster (DaskExecutor).

A job is a small typed argument (the portal's profile, the operator's allow-list, options) and a module-level
function; on a cluster, each worker opens the store by its URL and draws on the cluster's host budgets, so no
engine, session or client crosses a process boundary. A job that fails, or that the cluster loses, comes back as
its exception in its place: the other portals' results are kept.
"""

from __future__ import annotations

import ipaddress
import pickle
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from checks.assess import AssessOptions
    from checks.facts import Fact
    from harvester.http import SharedBudgets
    from harvester.run import HarvestResult, StopRequest
    from harvester.store import Store
    from odq.steps import Outcome

J = TypeVar("J")
R = TypeVar("R")
OnResult = Callable[[int, Any], None]  # (index of the job, its result or exception), in job order
CONNECT_TIMEOUT = "10s"
WORKERS_TIMEOUT = 30.0  # seconds to wait for a first worker to join a scheduler that has none


class ClusterError(Exception):
    """The cluster cannot be used (unreachable, no workers, a store its workers cannot share): one line."""


@dataclass
class Runtime:
    """What a job gets from where it runs."""

    store: Store
    budgets: SharedBudgets | None = None  # a cluster's host budgets; None: this process's
    stop: StopRequest | None = None
    on_cluster: bool = False  # links and files of an assessment are spread over the cluster too


Job = Callable[[Any, Runtime], Any]


class Executor(Protocol):
    def map(self, fn: Job, jobs: Sequence[Any], names: Sequence[str], *, stop: StopRequest | None = None,
            on_result: OnResult | None = None) -> list[Any]: ...


# -- the jobs ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class HarvestJob:
    profile: dict[str, Any]
    allow_hosts: tuple[str, ...] = ()
    incremental: bool = False
    accept_empty: bool = False


@dataclass(frozen=True)
class AssessJob:
    profile: dict[str, Any]
    allow_hosts: tuple[str, ...] = ()
    options: AssessOptions | None = None
    facts: list[Fact] | None = None


def harvest_job(job: HarvestJob, runtime: Runtime) -> HarvestResult | Exception:
    from odq.pipeline import harvest_portal

    result = harvest_portal(job.profile, runtime.store, job.allow_hosts, incremental=job.incremental,
                            accept_empty=job.accept_empty, stop=runtime.stop, shared_budgets=runtime.budgets)
    return _portable(result) if runtime.on_cluster and isinstance(result, BaseException) else result


def assess_job(job: AssessJob, runtime: Runtime) -> Outcome:
    from checks.assess import AssessOptions
    from harvester.http import Politeness
    from odq.cluster_fetch import ClusterFetcher, FetchSettings
    from odq.pipeline import portal_hosts
    from odq.steps import assess_step

    options = job.options or AssessOptions()
    if runtime.on_cluster and runtime.budgets is not None:
        settings = FetchSettings(tuple(portal_hosts(job.profile, job.allow_hosts)),
                                 Politeness.from_profile(job.profile.get("politeness")), runtime.budgets,
                                 threads=options.workers)
        options = replace(options, fetcher=ClusterFetcher(settings))
    return assess_step(runtime.store, job.profile, job.allow_hosts, options, facts=job.facts,
                       shared_budgets=runtime.budgets)


def _portable(exc: BaseException) -> BaseException:
    """The exception itself when it survives pickling back to the caller; else its words in a RuntimeError."""
    try:
        pickle.loads(pickle.dumps(exc))  # noqa: S301 -- our own object, round-tripped
        return exc
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")


# -- threads in this process ----------------------------------------------------------------------
class LocalExecutor:
    """Jobs on a pool of threads here, sharing this process's store (the default)."""

    def __init__(self, store: Store, workers: int = 4) -> None:
        self.store = store
        self.workers = max(1, workers)

    def map(self, fn: Job, jobs: Sequence[Any], names: Sequence[str], *, stop: StopRequest | None = None,
            on_result: OnResult | None = None) -> list[Any]:
        runtime = Runtime(self.store, stop=stop)

        def one(job: Any) -> Any:
            try:
                return fn(job, runtime)
            except Exception as exc:  # one portal's failure must not stop the others
                return exc

        results = []
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="odq-job") as pool:
            for index, result in enumerate(pool.map(one, jobs)):
                if on_result:
                    on_result(index, result)
                results.append(result)
        return results


# -- a Dask cluster -------------------------------------------------------------------------------
_stores: dict[str, Store] = {}
_stores_lock = threading.Lock()


def store_for(url: str) -> Store:
    """This worker process's store at `url`, opened once (the schema check is not paid per job)."""
    from harvester.store import Store

    with _stores_lock:
        store = _stores.get(url)
        if store is None:
            store = _stores[url] = Store(url)
        return store


def run_remote(fn: Job, job: Any, store_url: str, budgets: SharedBudgets | None) -> Any:
    """A job on a worker: the store opened by URL, the cluster's host budgets."""
    bound = budgets.bound() if hasattr(budgets, "bound") else budgets
    return fn(job, Runtime(store_for(store_url), budgets=bound, on_cluster=True))


class DaskExecutor:
    """Jobs as tasks on a Dask cluster: `address` of its scheduler (tcp://HOST:PORT) or a LocalCluster."""

    def __init__(self, address: str | Any, store: Store) -> None:
        from distributed import Client

        where = address if isinstance(address, str) else getattr(address, "scheduler_address", "the cluster")
        try:
            self.client = Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except (OSError, TimeoutError, ValueError, TypeError) as exc:
            raise ClusterError(f"--scheduler {where}: cannot reach the Dask scheduler "
                               f"({_one_line(exc) or type(exc).__name__})") from exc
        try:
            self.client.wait_for_workers(1, timeout=WORKERS_TIMEOUT)
            self.store_url = shared_store_url(store, self.client, where)
            from odq.cluster_politeness import cluster_budgets

            self.budgets = cluster_budgets(self.client)
        except TimeoutError as exc:
            self.client.close()
            raise ClusterError(f"--scheduler {where}: no worker joined within {WORKERS_TIMEOUT:g} s "
                               "(start some with `dask worker ADDRESS`)") from exc
        except BaseException:
            self.client.close()
            raise

    def map(self, fn: Job, jobs: Sequence[Any], names: Sequence[str], *, stop: StopRequest | None = None,
            on_result: OnResult | None = None) -> list[Any]:
        from distributed import TimeoutError as DaskTimeout

        futures = [self.client.submit(run_remote, fn, job, self.store_url, self.budgets, pure=False,
                                      key=f"odq-{fn.__name__}-{name}-{uuid.uuid4().hex[:8]}")
                   for job, name in zip(jobs, names, strict=True)]
        results: list[Any] = []
        for index, future in enumerate(futures):
            while True:
                if stop is not None and stop.reason:  # jobs not yet finished are cancelled; started ones end there
                    self.client.cancel(futures[index:])
                try:
                    result = future.result(timeout=0.5)  # a short wait, so a signal's stop is seen
                    break
                except (DaskTimeout, TimeoutError):
                    continue
                except Exception as exc:  # the job's failure, a lost worker, a cancel: this portal only
                    result = exc
                    break
            if on_result:
                on_result(index, result)
            results.append(result)
        return results

    def close(self) -> None:
        self.client.close()


def shared_store_url(store: Store, client: Any, where: str) -> str:
    """The store's URL as workers will open it. A SQLite file is only shared with workers on this machine:
    every worker's address must be loopback, else it is refused (a worker elsewhere would write its own file)."""
    from sqlalchemy.engine import make_url

    url = make_url(store.url)
    if url.get_backend_name() != "sqlite":
        return store.url
    database = url.database or ""
    if database in ("", ":memory:"):
        raise ClusterError(f"--scheduler {where}: an in-memory SQLite store cannot be shared with workers; "
                           "use a PostgreSQL store (--db postgresql+psycopg://...)")
    remote = sorted(address for address in client.scheduler_info(n_workers=-1)["workers"]
                    if not _loopback(address))
    if remote:
        raise ClusterError(f"--scheduler {where}: the store is a SQLite file, which workers on other machines "
                           f"cannot share ({remote[0]}); use a PostgreSQL store (--db postgresql+psycopg://...)")
    return url.set(database=str(Path(database).expanduser().resolve())).render_as_string(hide_password=False)


def _loopback(address: str) -> bool:
    host = urlsplit(address).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


@contextmanager
def open_executor(scheduler: str | None, store: Store, workers: int = 4) -> Iterator[Executor | None]:
    """The executor `--scheduler` asks for: a DaskExecutor on that cluster, or None (the local default)."""
    if not scheduler:
        yield None
        return
    try:
        import distributed  # noqa: F401
    except ModuleNotFoundError as exc:
        raise ClusterError(f"--scheduler needs Dask's distributed ({exc.name} is not installed): "
                           "pip install 'dask[distributed]'") from exc
    executor = DaskExecutor(scheduler, store)
    try:
        yield executor
    finally:
        executor.close()
