"""Alembic environment: odq passes its own connection (harvester.schema); the alembic CLI may pass -x url=…"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

config = context.config
connection = config.attributes.get("connection")


def run(conn) -> None:  # noqa: ANN001 - a SQLAlchemy Connection
    # Batch mode: SQLite cannot ALTER or DROP a column in place, so Alembic copies the table.
    context.configure(connection=conn, render_as_batch=True, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    run(connection)
else:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("give the database: alembic -x url=sqlite:///odq.sqlite upgrade head")
    with create_engine(url).begin() as conn:
        run(conn)
