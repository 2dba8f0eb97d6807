"""The `odq` command: a thin composition root. Heavy modules are imported inside commands so --help is fast."""

from __future__ import annotations

import json
import re
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from odq.console import Console, escape
from odq.db_cli import db_app
from odq.round_cli import round_app
from odq.schedule_cli import schedule


class _OdqGroup(TyperGroup):
    """The root command: the one place where the errors a user can cause become a one-line message."""

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            message = _user_error(exc, ctx.meta.get(_OUTPUTS, []))
            if message is None:
                raise  # a bug, not a user's mistake: the traceback is what a fix needs
            _fail(message)


app = typer.Typer(help="odq — harvest, assess, score and report government open-data portals.",
                  no_args_is_help=True, add_completion=False, cls=_OdqGroup, rich_markup_mode=None,
                  pretty_exceptions_show_locals=False)
portals_app = typer.Typer(help="Portal profiles: --profiles DIR, ODQ_PROFILES, the user directory, then the "
                          "shipped ones.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(portals_app, name="portals")
app.add_typer(round_app, name="round")
app.add_typer(db_app, name="db")
app.command()(schedule)
err = Console(stderr=True, soft_wrap=True)
out = Console()

DbOption = Annotated[str | None, typer.Option("--db", help="Database URL (default: ODQ_DATABASE_URL or "
                                              "~/.local/share/odq/odq.sqlite).")]
AllowOption = Annotated[list[str] | None, typer.Option("--allow-host", help="Host or IP the address guard lets "
                                                       "through although it is private or loopback (repeatable).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print a machine-readable summary on stdout.")]
SchedulerOption = Annotated[str | None, typer.Option("--scheduler", help="With --all: run on the Dask cluster at "
                                                    "this scheduler (tcp://HOST:PORT); its workers need a shared "
                                                    "PostgreSQL store. Default: this machine.")]
FactsOption = Annotated[Path | None, typer.Option("--facts", help="The evaluator's facts (.yaml or .csv, "
                                                  "profiles/schemas/facts.schema.json): fill what odq could "
                                                  "not measure, with provenance.")]


def _fail(message: str, code: int = 2) -> None:
    for line in message.splitlines() or [""]:  # a profile with several problems: one line each
        err.print(f"[bold red]error:[/] {escape(line)}", highlight=False)
    raise typer.Exit(code)


@app.callback()
def _root(
    profiles: Annotated[list[str] | None, typer.Option(
        "--profiles", metavar="DIR", help="A directory of portal profiles searched before ODQ_PROFILES, the user "
        "directory ($XDG_CONFIG_HOME/odq/profiles) and the shipped ones (repeatable, or an os.pathsep-separated "
        "list).")] = None,
) -> None:
    """odq — harvest, assess, score and report government open-data portals."""
    from odq.profile_dirs import explicit_dirs

    try:
        explicit_dirs(profiles or [])
    except ValueError as exc:
        _fail(str(exc))


# -- errors a user can cause, worded once ---------------------------------------------------------
_OUTPUTS = "odq.outputs"  # ctx.meta key: the output paths given on the command line, with their option
_DATABASE_EXPECTED = "expected sqlite:///PATH or postgresql+psycopg://USER@HOST/DATABASE"
_POSTGRES_DRIVERS = frozenset(("psycopg", "psycopg2", "psycopg_binary", "pg8000", "asyncpg"))


def _output_option(ctx: typer.Context, param: typer.CallbackParam, value: Path | None) -> Path | None:
    """Remember an output path, so that a failure to write it is reported against its option."""
    if value is not None:
        option = max(param.opts, key=len) if param.opts else f"--{param.name}"
        ctx.meta.setdefault(_OUTPUTS, []).append((option, Path(value)))
    return value


@dataclass
class DatabaseUnavailable(Exception):
    """The store could not be opened: `source` says where the URL came from (--db, the environment, the default)."""

    source: str
    url: str
    cause: BaseException


def _shown_url(url: str) -> str:
    """A database URL fit to print: the password masked, even in a URL SQLAlchemy cannot parse."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError, TypeError):
        return re.sub(r"(//[^:/@]*:)[^@/]*@", r"\1***@", url)


def _one_line(text: Any) -> str:
    return " ".join(str(text).split())


def _nearest_non_directory(path: Path) -> Path | None:
    """The first part of `path` (from the top) that exists and is not a directory: where a write must fail."""
    for part in reversed([path, *path.parents]):
        if part.exists() and not part.is_dir() and part != path:
            return part
    return None


def _sqlite_problem(database: str | None) -> str | None:
    if not database or database == ":memory:":
        return None
    path = Path(database).expanduser()
    blocker = _nearest_non_directory(path)
    if blocker is not None:
        return f"{blocker} is a file, not a directory"
    if not path.parent.exists():
        return f"the directory {path.parent} does not exist"
    if path.is_dir():
        return f"{path} is a directory"
    return None


def _database_message(problem: DatabaseUnavailable) -> str:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

    where, cause = f"{problem.source} {_shown_url(problem.url)}", problem.cause
    if isinstance(cause, ModuleNotFoundError):
        if cause.name in _POSTGRES_DRIVERS:
            hint = "" if cause.name == "psycopg" else " and write the URL as postgresql+psycopg://..."
            return (f"{where}: the PostgreSQL driver ({cause.name}) is not installed; install the postgres extra: "
                    f"pip install 'odq[postgres]'{hint}")
        return f"{where}: the database driver {cause.name} is not installed; {_DATABASE_EXPECTED}"
    if isinstance(cause, NoSuchModuleError):
        kind = problem.url.split("://", 1)[0]
        return f"{where}: unknown kind of database {kind!r}; {_DATABASE_EXPECTED}"
    if isinstance(cause, ArgumentError | ValueError):
        return f"{where}: not a database URL ({_one_line(cause)}); {_DATABASE_EXPECTED}"
    if isinstance(cause, DBAPIError):
        reason = _one_line(cause.orig) if cause.orig is not None else _one_line(cause).split(" [SQL")[0]
        try:
            url = make_url(problem.url)
        except (ArgumentError, ValueError):
            url = None
        if url is not None and url.get_backend_name() == "sqlite":
            reason = _sqlite_problem(url.database) or reason
            return f"{where}: cannot open the SQLite database: {reason}"
        return f"{where}: cannot connect to the database: {reason}"
    if isinstance(cause, OSError):
        return f"{where}: cannot create {cause.filename or 'the database'}: {cause.strerror or _one_line(cause)}"
    return f"{where}: cannot open the database: {type(cause).__name__}: {_one_line(cause)}"


def _output_message(option: str, out: Path, exc: OSError) -> str:
    blocker = _nearest_non_directory(out)
    if blocker is not None:
        why = f"{blocker} is a file, not a directory"
    elif isinstance(exc, PermissionError):
        why = f"no permission to write {exc.filename}"
    elif isinstance(exc, IsADirectoryError):
        why = f"{exc.filename} is a directory"
    else:
        why = f"{exc.strerror or _one_line(exc)} ({exc.filename})"
    return f"{option} {out}: cannot write there: {why}"


def _related(a: Path, b: Path) -> bool:
    a, b = Path(a).absolute(), Path(b).absolute()
    return a == b or a.is_relative_to(b) or b.is_relative_to(a)


def _user_error(exc: BaseException, outputs: list[tuple[str, Path]]) -> str | None:
    """The one-line message for an error the user can fix (a profile, the --db URL, an output path); None for a bug."""
    from harvester.profiles import ProfileError
    from harvester.schema import SchemaError

    if isinstance(exc, ProfileError | SchemaError):
        return str(exc)
    if isinstance(exc, DatabaseUnavailable):
        return _database_message(exc)
    from odq.executor import ClusterError

    if isinstance(exc, ClusterError):
        return str(exc)
    if isinstance(exc, OSError) and exc.filename is not None:
        for option, out in outputs:
            if _related(Path(str(exc.filename)), out):
                return _output_message(option, out, exc)
        return f"{exc.filename}: {exc.strerror or _one_line(exc)}"
    from sqlalchemy.exc import OperationalError

    if isinstance(exc, OperationalError):  # opened, then lost or locked: the database's own words, on one line
        return f"the database: {_one_line(exc.orig) if exc.orig is not None else _one_line(exc).split(' [SQL')[0]}"
    return None


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


@contextmanager
def _progress(enabled: bool):
    """A rich progress bar on stderr; silent when output is for a script."""
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=err.rich(), transient=True)
    with progress:
        tasks: dict[str, Any] = {}

        def update(name: str, done: int, total: int | None) -> None:
            if name not in tasks:
                tasks[name] = progress.add_task(name, total=total)
            progress.update(tasks[name], completed=done, total=total)

        yield update


def _points(score: dict[str, Any]) -> str:
    """Points over the known maximum; what odq could not measure is left out of it, and said."""
    known, full = score.get("known_maximum", score["maximum"]), score.get("full_maximum", score["maximum"])
    if known is None or known == full:
        return f"{score['total']:.2f}/{full:g}"
    return f"{score['total']:.2f}/{known:g} measured, {full:g} in all"


def _check_lang(lang: str) -> None:
    if lang not in ("zh", "en"):
        _fail(f"--lang: expected zh or en, got {lang!r}")


def _store(db: str | None):
    """The store at --db (else ODQ_DATABASE_URL, else the default file); one that cannot be opened is named."""
    import os

    from sqlalchemy.exc import ArgumentError, DBAPIError

    from harvester.store import DEFAULT_DB_ENV, Store, default_database_url

    source = "--db" if db else DEFAULT_DB_ENV if os.environ.get(DEFAULT_DB_ENV) else "the default database"
    url = db or os.environ.get(DEFAULT_DB_ENV) or ""
    try:
        url = url or default_database_url()
        return Store(url)
    except (ModuleNotFoundError, ArgumentError, ValueError, DBAPIError, OSError) as exc:
        raise DatabaseUnavailable(source, url or str(getattr(exc, "filename", "") or ""), exc) from exc


def _portal_facts(path: Path | None, portal_id: str) -> list[Any] | None:
    """One portal's facts from an evaluator's facts file; a file that names other portals only is a mistake."""
    if path is None:
        return None
    from checks.facts import FactsError, load_facts

    try:
        sheet = load_facts(path)
    except FactsError as exc:
        _fail(str(exc))
    facts = sheet.for_portal(portal_id)
    if not facts:
        _fail(f"{path}: no facts for portal {portal_id!r} (the file names {', '.join(sorted(sheet.portals()))})")
    return facts


def _portal_from_store(store: Any, portal_id: str) -> dict[str, Any]:
    row = store.portal(portal_id)
    if row is None:
        _fail(f"unknown portal {portal_id!r} in {store.url}: harvest it first (`odq harvest {portal_id}`)")
    return row.profile


def _current_profile(store: Any, portal_id: str) -> dict[str, Any]:
    """The portal's profile as it is now on the profile search path (an edited level or data-request setting counts
    at once); the copy stored at the last harvest when no file has that id. Harvests keep their own copy."""
    from harvester.profiles import ProfileError, find_portal

    stored = _portal_from_store(store, portal_id)
    try:
        profile = find_portal(portal_id)
    except ProfileError as exc:
        if not str(exc).startswith("no portal profile with id"):
            raise  # the file is there but broken: say so rather than score with a stale copy
        return stored
    if profile.get("id") != portal_id:
        return stored
    if profile != stored:
        store.upsert_portal(profile)
    return profile


@app.command()
def demo(
    workdir: Annotated[Path, typer.Option(help="Where the demo database and report go.",
                                                 callback=_output_option)] = Path("odq-demo"),
    lang: Annotated[str, typer.Option(help="Report language: zh or en.")] = "zh",
    json_output: JsonOption = False,
) -> None:
    """Run the whole pipeline offline on a generated city portal served on loopback; print the report path."""
    from odq.demo.run import run_demo

    _check_lang(lang)
    with _progress(not json_output) as progress:
        result = run_demo(workdir, lang=lang, progress=progress)
    if json_output:
        _print_json({"report": str(result.report_path.resolve()), "database": result.database_url,
                     "harvest": result.harvest.to_dict(), "assessment_timings": result.assessment_timings,
                     "scores": [{k: s.get(k) for k in ("system", "level", "composite", "tier", "total", "maximum",
                                                       "known_maximum", "full_maximum")}
                                for s in result.scores]})
        return
    for score in result.scores:
        if score["applicable"]:
            err.print(f"{score['system_name']}: {score['composite']:.3f} {score['tier']} "
                      f"({_points(score)})", highlight=False)
    err.print(f"harvest: {result.harvest.datasets} datasets, {result.harvest.distributions} distributions, "
              f"{result.harvest.seconds:.1f} s; database {result.database_url}", highlight=False)
    print(result.report_path.resolve())


@portals_app.command("list")
def portals_list(json_output: JsonOption = False) -> None:
    """List the portal profiles on the search path, each with the directory it comes from and what it shadows."""
    from odq.profile_dirs import listing

    rows = listing()
    if json_output:
        _print_json(rows)
        return
    from rich.table import Table

    table = Table("id", "name", "level", "software", "url", "verified", "from")
    for row in rows:
        where = f"{row['origin']} {row['directory']}"
        where += "".join(f"\n(shadows {s['origin']} {s['path']})" for s in row["shadows"])
        table.add_row(escape(row["id"]), escape(row.get("name") or f"{row.get('error')}"), row.get("level"),
                      row.get("software"), escape(row.get("url") or ""), str(row.get("verified", "")), escape(where))
    out.print(table)


@portals_app.command("validate")
def portals_validate(
    paths: Annotated[list[Path] | None, typer.Argument(help="Profile files (default: every one on the search "
                                                   "path).")] = None,
) -> None:
    """Validate portal profiles against the schema; errors name the file, the key and what was expected."""
    from harvester.adapters import adapter_class
    from harvester.http import Http
    from harvester.profiles import ProfileError, load_portal
    from odq.profile_dirs import every_profile_path

    failures = 0
    targets = paths or every_profile_path()
    http = Http()  # adapters check their options when built; nothing is fetched
    for path in targets:
        try:
            profile = load_portal(path)
            adapter_class(profile["software"])(profile, http)
            err.print(f"[green]ok[/] {escape(str(path))}", highlight=False)
        except (ProfileError, ValueError, NotImplementedError) as exc:
            failures += 1
            for line in str(exc).splitlines() or [""]:
                line = line if line.startswith(str(path)) else f"{path}: {line}"
                err.print(f"[red]invalid[/] {escape(line)}", highlight=False)
    if failures:
        raise typer.Exit(1)
    err.print(f"{len(targets)} profile(s) valid")


@portals_app.command("import-cnpds")
def portals_import_cnpds(
    registry: Annotated[Path, typer.Argument(help="The CNPDS registry folder (portals.json, curl.json, "
                                             "name_mapping.json).")],
    out_dir: Annotated[Path | None, typer.Option("--to", "--out", help="Where to write profiles (default: the "
                                                 "user directory, $XDG_CONFIG_HOME/odq/profiles).",
                                                 callback=_output_option)] = None,
    force: Annotated[bool, typer.Option(help="Overwrite existing profiles with the same id (hand-written ones "
                                        "included).")] = False,
    json_output: JsonOption = False,
) -> None:
    """Turn the CNPDS registry of Chinese portals into portal profiles (verified: false until checked)."""
    from harvester.cnpds import profiles_from_registry, write_profiles
    from harvester.profiles import ProfileError
    from odq.profile_dirs import import_target, other_dirs

    try:
        profiles = profiles_from_registry(registry)
    except (OSError, ValueError, ProfileError) as exc:
        _fail(f"cannot read the registry in {registry}: {exc}")
    if force:
        err.print("[yellow]--force: existing profiles with the same id are overwritten[/]")
    target = import_target(out_dir)
    written = write_profiles(profiles, target, force=force, also=other_dirs(target))
    if json_output:
        _print_json({"profiles": len(profiles), "directory": str(target),
                     "written": [str(p) for p in written.written], "skipped": written.skipped})
        return
    err.print(f"{len(profiles)} portals in the registry: {len(written.written)} profiles written to "
              f"{escape(str(target))}, {len(written.skipped)} left alone", highlight=False)
    for portal_id, reason in list(written.skipped.items())[:20]:
        err.print(f"  · {escape(portal_id)}: {escape(reason)}", highlight=False)


@app.command()
def harvest(
    portal: Annotated[str | None, typer.Argument(help="A portal id on the profile search path, or the path of a "
                                                 "profile.")] = None,
    db: DbOption = None,
    allow_host: AllowOption = None,
    incremental: Annotated[bool, typer.Option(help="Ask only for what changed since the last harvest.")] = False,
    due: Annotated[bool, typer.Option("--due", help="Harvest every profile whose cron schedule is due.")] = False,
    all_portals: Annotated[bool, typer.Option("--all", help="Harvest every profile on the search path.")] = False,
    workers: Annotated[int, typer.Option(help="Portals harvested at once with --due/--all.")] = 4,
    scheduler: SchedulerOption = None,
    accept_empty: Annotated[bool, typer.Option("--accept-empty", help="Let an empty listing become current although "
                                               "the last complete harvest had datasets (the portal really "
                                               "emptied its catalogue).")] = False,
    status: Annotated[bool, typer.Option("--status", help="Show the portal's harvests and who is harvesting it "
                                         "now, instead of harvesting.")] = False,
    json_output: JsonOption = False,
) -> None:
    """Harvest a portal's whole catalogue into the store (a failed harvest never replaces the last good one).

    One harvest per portal at a time: a second one refuses (exit code 3). SIGTERM stops a harvest like Ctrl-C:
    it is stored as interrupted, with the reason, and the last complete harvest stays current.
    """
    import signal
    from contextlib import suppress

    from harvester.profiles import ProfileError, find_portal
    from harvester.run import HarvestLocked, HarvestStopped, StopRequest, run_harvest
    from odq.executor import open_executor
    from odq.pipeline import harvest_many, make_http

    store = _store(db)
    stop = StopRequest()
    single = not (due or all_portals)

    def on_signal(number: int, _frame: Any) -> None:
        reason = f"stopped by {signal.Signals(number).name}"
        stop.set(reason)
        if single:  # the harvest runs on this thread: stop it where it is (a pool's workers stop at a record)
            raise HarvestStopped(reason)

    def show_status(portal_id: str) -> None:
        """`odq harvest PORTAL --status`: its harvests (a dead process's `running` one closed first) and its lock."""
        row = store.portal(portal_id)
        if row is None:  # a profile's path or file stem: the id inside it
            with suppress(ProfileError):
                portal_id = find_portal(portal_id)["id"]
                row = store.portal(portal_id)
        if row is None:
            _fail(f"unknown portal {portal_id!r} in {store.url}: harvest it first (`odq harvest {portal_id}`)")
        harvests = store.harvests(portal_id)  # sweeps harvests whose process died
        lock = store.harvest_lock(portal_id)
        rows = [{"id": h.id, "status": h.status, "current": h.id == row.current_harvest_id,
                 "started_at": h.started_at.isoformat(timespec="seconds"),
                 "finished_at": h.finished_at.isoformat(timespec="seconds") if h.finished_at else None,
                 "datasets": h.datasets, "errors": (h.errors or [])[-1:]} for h in harvests]
        holder = {"pid": lock.pid, "host": lock.host, "harvest_id": lock.harvest_id,
                  "heartbeat_at": lock.heartbeat_at.isoformat(timespec="seconds")} if lock else None
        if json_output:
            _print_json({"portal_id": portal_id, "harvests": rows, "lock": holder})
            return
        from rich.table import Table

        table = Table("#", "status", "current", "started", "datasets", "last error")
        for h in rows:
            table.add_row(str(h["id"]), h["status"], "✓" if h["current"] else "", h["started_at"], f"{h['datasets']:,}",
                          escape((h["errors"] or [""])[0][:120]))
        out.print(table)
        if holder:
            err.print(f"being harvested now: harvest #{holder['harvest_id']} by pid {holder['pid']} on "
                      f"{escape(holder['host'])} (heartbeat {holder['heartbeat_at']}Z)", highlight=False)

    if status:
        if not portal:
            _fail("--status: name a portal")
        show_status(portal)
        return
    previous_handlers = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        if not single:
            if portal:
                _fail("give a portal or --due/--all, not both")
            from harvester.schedule import is_due
            from odq.profile_dirs import winning_entries

            entries = winning_entries()  # a profile in --profiles or the user directory shadows a shipped one
            broken = [e.error for e in entries if e.error]
            if broken:
                _fail("\n".join(broken))
            chosen = [e.profile for e in entries if e.profile and (all_portals or is_due(e.profile, store))]
            with open_executor(scheduler, store) as executor:
                results = harvest_many(chosen, store, allow_host or [], workers=workers, incremental=incremental,
                                       accept_empty=accept_empty, stop=stop, executor=executor)
            summary = [r.to_dict() if not isinstance(r, BaseException) else
                       {"portal_id": p["id"], "status": "refused" if isinstance(r, HarvestLocked) else
                        "interrupted" if isinstance(r, HarvestStopped) else "failed",
                        "errors": [str(r) if isinstance(r, HarvestLocked | HarvestStopped) else
                                   f"{type(r).__name__}: {r}"]}
                       for p, r in zip(chosen, results, strict=True)]
            if json_output:
                _print_json(summary)
            else:
                for row in summary:
                    err.print(f"{row['status']:>11} {escape(row['portal_id'])}: {row.get('datasets', 0):,} datasets"
                              + (f" ({escape(row['errors'][0])})" if row["status"] in ("refused", "interrupted")
                                 else ""), highlight=False)
                err.print(f"{len(summary)} portal(s) harvested" if summary else "no portal is due")
            if stop.reason:
                raise typer.Exit(143 if "SIGTERM" in stop.reason else 130)
            if any(row["status"] != "complete" for row in summary):
                raise typer.Exit(1)
            return
        if not portal:
            _fail("name a portal (id or profile file), or use --due or --all")
        if scheduler:
            _fail("--scheduler runs --due/--all on a cluster; one portal is harvested here")
        try:
            profile = find_portal(portal)
        except ProfileError as exc:
            _fail(str(exc))
        http = make_http(profile, allow_host or [])
        try:
            with _progress(not json_output) as progress:
                result = run_harvest(
                    profile, store, http, incremental=incremental, accept_empty=accept_empty,
                    progress=(lambda done, total: progress("harvest", done, total)) if progress else None)
        except (ProfileError, ValueError, NotImplementedError) as exc:
            _fail(str(exc))
        except HarvestLocked as exc:
            _fail(str(exc), code=3)
        except KeyboardInterrupt as exc:
            reason = exc.reason if isinstance(exc, HarvestStopped) else "stopped by SIGINT"
            err.print(f"[red]interrupted[/] harvest of {escape(profile['id'])}: {escape(reason)}; the last "
                      "complete harvest stays current", highlight=False)
            raise typer.Exit(143 if "SIGTERM" in reason else 130) from None
        finally:
            http.close()
    finally:
        for sig, handler in previous_handlers.items():
            signal.signal(sig, handler)
    if json_output:
        _print_json(result.to_dict())
    else:
        colour = {"complete": "green", "partial": "yellow"}.get(result.status, "red")
        err.print(f"[{colour}]{result.status}[/] harvest #{result.harvest_id} of {escape(profile['id'])}: "
                  f"{result.datasets:,} datasets ({result.new_records:,} new versions), "
                  f"{result.distributions:,} distributions, {result.errors_count} errors, "
                  f"{result.requests:,} requests, {result.bytes / 1e6:.1f} MB, {result.seconds:.1f} s",
                  highlight=False)
        for line in result.errors[:10]:
            err.print(f"  · {escape(line)}", highlight=False)
    if result.status != "complete":
        raise typer.Exit(1)


@app.command()
def assess(
    portal: Annotated[str | None, typer.Argument(help="Portal id (its current harvest is assessed).")] = None,
    db: DbOption = None,
    allow_host: AllowOption = None,
    links: Annotated[bool, typer.Option(help="Check distribution links.")] = True,
    link_limit: Annotated[int, typer.Option(help="Check at most this many links (a stable sample).")] = 2000,
    files: Annotated[bool, typer.Option(help="Validate a sample of tabular files with frictionless.")] = True,
    file_sample: Annotated[int, typer.Option(help="How many tabular files to sample.")] = 20,
    facts_file: FactsOption = None,
    rules_file: Annotated[Path | None, typer.Option("--rules", help="Override rule parameters (grace, windows, "
                                                    "thresholds) for this assessment: a YAML file shaped like "
                                                    "profiles/rules/odq-default.yaml, a reason per value.")] = None,
    all_portals: Annotated[bool, typer.Option("--all", help="Every portal with a complete current harvest, one "
                                              "line each; exit status 1 when one failed.")] = False,
    scheduler: SchedulerOption = None,
    json_output: JsonOption = False,
) -> None:
    """Measure the six families over the current harvest and score it under every indicator system."""
    from checks.assess import AssessOptions, NothingToAssess
    from checks.rules import load_rules
    from odq.pipeline import assess_and_score, make_http

    rules = load_rules([rules_file] if rules_file else [])  # a bad file is a ProfileError: file, key, expectation
    options = AssessOptions(check_links=links, link_limit=link_limit, validate_files=files, file_sample=file_sample,
                            rules=rules)
    if all_portals or portal is None:
        _one_or_all(portal, all_portals)
        from odq.schedule_cli import assess_all_portals

        return assess_all_portals(_store(db), allow_host or [], options, facts_file, json_output, scheduler)
    if scheduler:
        _fail("--scheduler runs --all on a cluster; one portal is assessed here")
    facts = _portal_facts(facts_file, portal)
    store = _store(db)
    profile = _current_profile(store, portal)
    http = make_http(profile, allow_host or [])
    try:
        with _progress(not json_output) as progress:
            assessment, scores = assess_and_score(store, profile, http, options, progress=progress, facts=facts)
    except NothingToAssess as exc:
        _fail(str(exc))
    if json_output:
        _print_json({"harvest_id": assessment.harvest_id, "timings": assessment.timings,
                     "findings": assessment.findings_total,
                     "measures": {m["measure_id"]: m["value"] for m in assessment.measures},
                     "scores": [{k: s[k] for k in ("system", "level", "composite", "tier")} for s in scores]})
        return
    from rich.table import Table

    table = Table("family", "measure", "value")
    from reports.render import format_value

    for measure in assessment.measures:
        table.add_row(measure["family"], measure["measure_id"], format_value(measure, "en"))
    out.print(table)
    for score in scores:
        verdict = f"{score['composite']:.3f} {score['tier']}" if score["applicable"] else "not applicable"
        out.print(f"{score['system_name']}: {verdict}", highlight=False)


def _one_or_all(portal: str | None, all_portals: bool) -> None:
    if portal and all_portals:
        _fail("give a portal or --all, not both")
    if not portal and not all_portals:
        _fail("name a portal, or use --all")


@app.command()
def report(
    portal: Annotated[str | None, typer.Argument(help="Portal id.")] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Directory for index.html and report.json (with --all: "
                                          "one directory per portal in it).", callback=_output_option)] = ...,
    db: DbOption = None,
    lang: Annotated[str, typer.Option(help="zh or en.")] = "zh",
    all_portals: Annotated[bool, typer.Option("--all", help="Every portal with a complete current harvest, into "
                                              "DIR/<portal id>/; exit status 1 when one failed.")] = False,
) -> None:
    """Write the HTML and JSON report of a portal's current, assessed harvest."""
    from odq.pipeline import report as write
    from reports.model import ReportUnavailable

    _check_lang(lang)
    if all_portals or portal is None:
        _one_or_all(portal, all_portals)
        from odq.schedule_cli import report_all_portals

        return report_all_portals(_store(db), out_dir, lang)
    try:
        path = write(_store(db), portal, out_dir, lang=lang)
    except ReportUnavailable as exc:
        _fail(str(exc))
    print(path.resolve())


@app.command()
def export(
    out_file: Annotated[Path, typer.Option("--out", help="Output file: .csv, .xlsx or .json (scores); .ttl or "
                                                   ".jsonld (dcat-ap, dqv).", callback=_output_option)],
    system: Annotated[str | None, typer.Option(help="Indicator system id, e.g. cstc2019-website (scores).")] = None,
    level: Annotated[str | None, typer.Option(help="ministry, province, sub-provincial, provincial-capital, city "
                                                   "(scores).")] = None,
    export_format: Annotated[str, typer.Option("--format", help="scores: the ranked league table; dcat-ap: a "
                                               "portal's current harvest as DCAT-AP; dqv: its measures as W3C DQV."
                                               )] = "scores",
    portal: Annotated[str | None, typer.Option(help="Portal id (dcat-ap, dqv).")] = None,
    db: DbOption = None,
) -> None:
    """Export ranked scores of a level (并列 ties), or one portal's harvest as DCAT-AP or its measures as DQV."""
    if export_format in ("dcat-ap", "dqv"):
        _export_rdf(export_format, portal, out_file, db)
        return
    if export_format != "scores":
        _fail(f"--format: expected scores, dcat-ap or dqv, got {export_format!r}")
    if system is None or level is None:
        _fail("--system and --level are needed to export scores (or give --format dcat-ap|dqv --portal ID)")
    from checks.scoring import load_system
    from harvester.profiles import ProfileError, schema
    from reports.export import export_metadata, league_rows, write_export

    levels = schema("portal")["properties"]["level"]["enum"]
    if level not in levels:
        _fail(f"--level: expected one of {', '.join(levels)}, got {level!r}")
    try:
        load_system(system)
        rows = league_rows(_store(db), system, level)
        if not rows:
            _fail(f"no portal of level {level!r} has an assessed current harvest scored under {system!r}: "
                  "run `odq assess PORTAL` first")
        path = write_export(rows, out_file, metadata=export_metadata(system, level, rows))
    except (ProfileError, ValueError) as exc:
        _fail(str(exc))
    print(path.resolve())


def _export_rdf(kind: str, portal: str | None, out_file: Path, db: str | None) -> None:
    from reports.rdf import FORMATS, serialise

    if portal is None:
        _fail(f"--portal: which portal's harvest to export as {kind}")
    by_suffix = {suffix: fmt for fmt, suffix in FORMATS.items()}
    fmt = by_suffix.get(out_file.suffix.lower())
    if fmt is None:
        _fail(f"--out {out_file}: expected a {' or '.join(by_suffix)} file for {kind}")
    store = _store(db)
    try:
        if kind == "dcat-ap":
            from harvester.dcat_ap import harvest_graph

            graph = harvest_graph(store, portal)
        else:
            from reports.dqv import harvest_quality_graph

            graph = harvest_quality_graph(store, portal)
    except LookupError as exc:
        _fail(str(exc))
    out_file.parent.mkdir(parents=True, exist_ok=True)
    out_file.write_bytes(serialise(graph, fmt))
    print(out_file.resolve())


if __name__ == "__main__":
    app()
