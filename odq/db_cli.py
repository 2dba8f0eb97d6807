"""`odq db …`: the store's schema revision, and upgrading a store in place (Alembic migrations).
Mounted by the main CLI as `app.add_typer(db_app, name="db")`."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from odq.console import Console, escape

db_app = typer.Typer(help="The store's schema: which revision it has, and upgrading it in place.",
                     no_args_is_help=True, add_completion=False, pretty_exceptions_show_locals=False,
                     rich_markup_mode=None)
out = Console(soft_wrap=True)

DbOption = Annotated[str | None, typer.Option("--db", help="Database URL (default: ODQ_DATABASE_URL or "
                                              "~/.local/share/odq/odq.sqlite).")]


def _engine(db: str | None):
    from harvester.store import DEFAULT_DB_ENV, default_database_url, make_engine

    return make_engine(db or os.environ.get(DEFAULT_DB_ENV) or default_database_url())


def _shown(engine) -> str:
    return engine.url.render_as_string(hide_password=True)


@db_app.command("current")
def current(db: DbOption = None) -> None:
    """Print the store's schema revision and the one this odq needs."""
    from harvester import schema

    engine = _engine(db)
    with engine.connect() as conn:
        found = schema.state(conn)
    if found.fresh:
        verdict = "empty: odq builds it on first use"
    elif found.revision == schema.HEAD:
        verdict = "up to date"
    elif found.revision is None:
        verdict = "made before migrations: run `odq db upgrade`"
    elif found.revision in schema.known_revisions():
        verdict = "older: run `odq db upgrade`"
    else:
        verdict = "unknown to this odq (upgraded by a newer odq?)"
    out.print(f"{escape(_shown(engine))}: revision {found.revision or '-'}; this odq needs {schema.HEAD} "
              f"({verdict})", highlight=False)


@db_app.command("upgrade")
def upgrade(
    db: DbOption = None,
    to: Annotated[str, typer.Option("--to", help="Target revision (default: the newest this odq knows).")] = "head",
) -> None:
    """Upgrade the store in place to the schema this odq needs (back it up first)."""
    from harvester import schema

    engine = _engine(db)
    if to != "head" and to not in schema.known_revisions():
        raise schema.SchemaError(f"--to: expected one of {', '.join(schema.known_revisions())} or head, got {to!r}")
    done = schema.upgrade(engine, to)
    if done.adopted:
        out.print(f"made before migrations; added {', '.join(done.adopted)}, then took it as revision 0001",
                  highlight=False)
    if done.before == done.after:
        out.print(f"{escape(_shown(engine))}: already at revision {done.after}", highlight=False)
    else:
        out.print(f"{escape(_shown(engine))}: revision {done.before or 'none'} → {done.after}", highlight=False)
