"""Store URLs for tests that must hold on SQLite and PostgreSQL: a fresh SQLite file, or a fresh PostgreSQL
database on the server ODQ_TEST_POSTGRES_URL names (CI sets it; without it CI fails, a developer skips)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import unavailable

POSTGRES_ENV = "ODQ_TEST_POSTGRES_URL"
BACKENDS = ("sqlite", "postgresql")


@contextmanager
def fresh_database(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / f'odq-{uuid.uuid4().hex[:8]}.sqlite'}"
        return
    server = os.environ.get(POSTGRES_ENV)
    if not server:
        unavailable(f"{POSTGRES_ENV} is not set: the PostgreSQL store tests need a server "
                    "(.ci/start-postgres DIR prints a URL)")
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"odq_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
