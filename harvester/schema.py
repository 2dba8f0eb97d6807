"""Which schema a store has, and moving it to the one this odq needs (Alembic revisions in harvester/migrations).

A fresh database is built by running every revision, so the migrations are the one definition of the schema.
A store at an older revision, or made before migrations, is not touched behind the user's back: odq refuses it
with one line that names `odq db upgrade`. A revision odq does not know (a newer odq wrote it) is refused too.
"""

from __future__ import annotations

import fcntl
import importlib.util
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

# The revision this code reads and writes; tests check it is the head of harvester/migrations/versions.
HEAD = "0004"
VERSIONS = Path(__file__).with_name("migrations") / "versions"
VERSION_TABLE = "alembic_version"
# Any of these tables means the database already holds an odq store (with or without a revision).
ODQ_TABLES = {"portals", "harvests", "records", "record_blobs", "harvest_records"}
# A fixed key: concurrent odq processes building or upgrading one PostgreSQL store take turns.
_PG_LOCK_KEY = 0x0D9_5C4E


class SchemaError(RuntimeError):
    """The store's schema is not the one this odq needs; the message is one line for the user."""


@dataclass(frozen=True, slots=True)
class SchemaState:
    revision: str | None  # None: no revision table
    has_tables: bool  # odq tables exist (a store made before migrations when revision is None)

    @property
    def fresh(self) -> bool:
        return self.revision is None and not self.has_tables


def known_revisions() -> list[str]:
    """Revision ids in the order they apply (oldest first), read from the version files' names."""
    return sorted(path.name.split("_", 1)[0] for path in VERSIONS.glob("[0-9]*_*.py"))


def state(conn: Connection) -> SchemaState:
    tables = set(inspect(conn).get_table_names())
    revision = None
    if VERSION_TABLE in tables:
        revision = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()  # noqa: S608
    return SchemaState(revision=revision, has_tables=bool(tables & ODQ_TABLES))


def ensure(engine: Engine, shown_url: str) -> None:
    """Build a fresh database to HEAD; accept one at HEAD; refuse anything else with a one-line SchemaError."""
    for attempt in range(5):
        try:
            with engine.connect() as conn:
                found = state(conn)
            if found.revision == HEAD:
                return
            # Not at HEAD: it may be fresh, or being built by another process right now (on SQLite its tables
            # appear one by one before the revision is written). Decide only while holding the build lock.
            with _sqlite_build_lock(engine):
                with engine.connect() as conn:
                    found = state(conn)
                if found.fresh:
                    upgrade(engine)
                    return
                if found.revision == HEAD:
                    return
            raise SchemaError(_mismatch(found, shown_url))
        except DBAPIError:
            # A busy database while another process builds it: the next pass sees it built.
            if attempt == 4:
                raise
            time.sleep(0.2 * (attempt + 1))


@contextmanager
def _sqlite_build_lock(engine: Engine) -> Iterator[None]:
    """Two processes opening one new SQLite file take turns building it (PostgreSQL uses an advisory lock).

    The lock is on a file beside the database, never on the database itself: closing any descriptor of the
    database file would drop the POSIX locks SQLite holds on it in this process (and can corrupt it)."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:" or database.startswith("file:"):
        yield
        return
    with open(f"{database}-odq-build.lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _mismatch(found: SchemaState, shown_url: str) -> str:
    fix = f"run `odq db upgrade --db {shown_url}` (back the store up first)"
    if found.revision is None:
        return f"the store {shown_url} was made by an odq from before schema migrations: {fix}"
    if found.revision in known_revisions():
        return f"the store {shown_url} has schema revision {found.revision}; this odq needs {HEAD}: {fix}"
    return (f"the store {shown_url} has schema revision {found.revision!r}, which this odq does not know "
            f"(it needs {HEAD}; was the store upgraded by a newer odq?)")


@dataclass(frozen=True, slots=True)
class Upgrade:
    before: str | None
    after: str
    adopted: list[str]  # what was added to a store made before migrations before it was stamped 0001


def upgrade(engine: Engine, target: str = "head") -> Upgrade:
    """Apply the revisions up to `target`; a store made before migrations is first adopted as revision 0001."""
    with engine.connect() as conn:
        _serialise(conn)
        found = state(conn)
        if found.revision is not None and found.revision not in known_revisions():
            raise SchemaError(_mismatch(found, engine.url.render_as_string(hide_password=True)))
        adopted: list[str] = []
        if found.revision is None and found.has_tables:
            adopted = _adopt(conn)
        _alembic_upgrade(conn, target)
        conn.commit()
        after = state(conn).revision
    return Upgrade(before=found.revision, after=after or "", adopted=adopted)


def _serialise(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})


def _alembic_config(conn: Connection) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(VERSIONS.parent))
    config.attributes["connection"] = conn
    return config


def _alembic_upgrade(conn: Connection, target: str) -> None:
    from alembic import command

    command.upgrade(_alembic_config(conn), target)


def stamp(conn: Connection, revision: str) -> None:
    from alembic import command

    command.stamp(_alembic_config(conn), revision)


def _adopt(conn: Connection) -> list[str]:
    """Bring a store made before migrations to revision 0001's layout: the tables and the nullable columns odq
    added before migrations existed. A missing column that cannot be added empty is refused, naming it."""
    first = _revision_module(known_revisions()[0])
    inspector = inspect(conn)
    present = set(inspector.get_table_names())
    added: list[str] = []
    for table in first.metadata.sorted_tables:
        if table.name not in present:
            table.create(conn)
            added.append(f"table {table.name}")
            continue
        have = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name in have:
                continue
            if not column.nullable:
                raise SchemaError(f"the store's table {table.name} lacks column {column.name}, which cannot be "
                                  "added to rows already there: this store is too old to upgrade; harvest again "
                                  "into a new database")
            kind = column.type.compile(dialect=conn.dialect)
            conn.execute(text(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}'))
            added.append(f"column {table.name}.{column.name}")
    stamp(conn, first.revision)
    return added


def _revision_module(revision: str) -> Any:
    path = next(VERSIONS.glob(f"{revision}_*.py"))
    spec = importlib.util.spec_from_file_location(f"odq_migration_{revision}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
