"""Schema migrations: a store made by the landed version before migrations upgrades in place, on SQLite and on
PostgreSQL; a fresh store is built by the migrations and equals the models; other revisions are refused."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import zstandard
from sqlalchemy import MetaData, create_engine, insert, inspect, select, text

from tests.conftest import PROJECT_ROOT
from tests.databases import BACKENDS, fresh_database

# Made by odq at commit d3674df (the landing before migrations): `odq demo`, then
# `odq round create 2026-demo --system cstc2019-website` (tests/data/README.md).
LANDED = PROJECT_ROOT / "tests" / "data" / "stores" / "landed-0001-demo.sqlite.zst"
PORTAL = "demo-yunjiang"
# What that store holds, counted with sqlite3 on the file when it was made.
LANDED_COUNTS = {"records": 320, "findings": 849, "link_checks": 57, "file_reports": 12, "round_portals": 1,
                 "harvests": 1, "distributions": 559}


def landed_store(tmp_path: Path) -> str:
    path = tmp_path / "landed.sqlite"
    path.write_bytes(zstandard.ZstdDecompressor().decompress(LANDED.read_bytes()))
    return f"sqlite:///{path}"


def odq(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "odq.cli", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


def counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in LANDED_COUNTS}
    engine.dispose()
    return found


def test_head_is_the_newest_revision_file():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from harvester import schema

    config = Config()
    config.set_main_option("script_location", str(schema.VERSIONS.parent))
    assert ScriptDirectory.from_config(config).get_current_head() == schema.HEAD == "0004"


def test_landed_store_is_refused_in_one_line_then_upgrades_in_place(tmp_path):
    url = landed_store(tmp_path)
    refused = odq("report", PORTAL, "--db", url, "--out", str(tmp_path / "r"), cwd=tmp_path)
    assert refused.returncode == 2
    assert "Traceback" not in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert "before schema migrations" in refused.stderr and "odq db upgrade" in refused.stderr

    upgraded = odq("db", "upgrade", "--db", url, cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "revision none → 0004" in upgraded.stdout
    assert odq("db", "current", "--db", url, cwd=tmp_path).stdout.strip().endswith("(up to date)")

    assert counts(url) == LANDED_COUNTS  # nothing lost
    engine = create_engine(url)
    columns = {c["name"] for c in inspect(engine).get_columns("records")}
    assert "fields_described" not in columns and "data_modified" in columns
    # 0004: findings keep a type code and values; the landed findings keep their message and have no code.
    assert {"code", "values"} <= {c["name"] for c in inspect(engine).get_columns("findings")}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM findings WHERE code IS NULL")).scalar_one() == 849

    # The upgraded store works: its round still shows, the harvest is assessed and reported again.
    shown = odq("round", "show", "2026-demo", "--db", url, "--json", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert PORTAL in shown.stdout
    assessed = odq("assess", PORTAL, "--db", url, "--no-links", "--no-files", "--json", cwd=tmp_path)
    assert assessed.returncode == 0, assessed.stderr
    reported = odq("report", PORTAL, "--db", url, "--out", str(tmp_path / "r"), cwd=tmp_path)
    assert reported.returncode == 0, reported.stderr
    assert (tmp_path / "r" / "index.html").exists()
    with engine.connect() as conn:  # the re-assessment stored typed findings
        untyped = conn.execute(text("SELECT count(*) FROM findings WHERE code IS NULL")).scalar_one()
        typed = conn.execute(text("SELECT count(*) FROM findings WHERE code IS NOT NULL")).scalar_one()
    assert untyped == 0 and typed > 0
    engine.dispose()


def test_store_from_before_the_stop_13_columns_is_adopted(tmp_path):
    """Older still: without the lock and round tables and the heartbeat and data-date columns."""
    url = landed_store(tmp_path)
    engine = create_engine(url)
    with engine.begin() as conn:
        for table in ("harvest_locks", "round_portals", "rounds"):
            conn.execute(text(f"DROP TABLE {table}"))
        conn.execute(text("ALTER TABLE records DROP COLUMN data_modified"))
        for column in ("heartbeat_at", "owner_pid", "owner_host"):
            conn.execute(text(f"ALTER TABLE harvests DROP COLUMN {column}"))
    engine.dispose()
    done = odq("db", "upgrade", "--db", url, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    added = re.search(r"added (.*), then took it as revision 0001", done.stdout).group(1).split(", ")
    assert sorted(added) == sorted([
        "table harvest_locks", "table rounds", "table round_portals", "column records.data_modified",
        "column harvests.heartbeat_at", "column harvests.owner_pid", "column harvests.owner_host",
    ])
    from harvester.store import Store

    store = Store(url)
    assert store.current_harvest(PORTAL).datasets == 320


def test_a_missing_required_column_is_refused_naming_it(tmp_path):
    url = landed_store(tmp_path)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE records DROP COLUMN problems"))
    engine.dispose()
    done = odq("db", "upgrade", "--db", url, cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "records lacks column problems" in done.stderr


def test_unknown_and_older_revisions_are_refused(tmp_path):
    from harvester.schema import SchemaError, upgrade
    from harvester.store import Store, make_engine

    url = f"sqlite:///{tmp_path / 'older.sqlite'}"
    upgrade(make_engine(url), "0001")
    with pytest.raises(SchemaError, match=r"has schema revision 0001; this odq needs 0004: run `odq db upgrade"):
        Store(url)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(SchemaError, match=r"revision '9999', which this odq does not know"):
        Store(url)
    refused = odq("db", "upgrade", "--db", url, cwd=tmp_path)
    assert refused.returncode == 2 and "does not know" in refused.stderr


@pytest.mark.parametrize("backend", BACKENDS)
def test_fresh_store_is_built_by_the_migrations_and_matches_the_models(backend, tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    import checks.results  # noqa: F401 - the checks' tables are part of the schema
    import reports.rounds.store  # noqa: F401 - so are the rounds'
    from harvester.store import Base, Store

    with fresh_database(backend, tmp_path) as url:
        store = Store(url)
        with store.engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "0004"
            differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert differences == []
        if backend == "postgresql":
            with store.engine.connect() as conn:
                kinds = dict(conn.execute(text(
                    "SELECT table_name || '.' || column_name, data_type FROM information_schema.columns "
                    "WHERE table_schema = 'public' AND data_type IN ('json', 'jsonb')")).all())
            assert kinds and set(kinds.values()) == {"jsonb"}
            assert kinds["portals.profile"] == "jsonb" and kinds["round_portals.facts"] == "jsonb"
        store.engine.dispose()


def test_landed_rows_on_postgresql_upgrade_in_place(tmp_path):
    """A PostgreSQL store at revision 0001 holding the landed store's rows upgrades to JSONB without loss."""
    from harvester.schema import upgrade
    from harvester.store import Store, make_engine

    source = create_engine(landed_store(tmp_path))
    with fresh_database("postgresql", tmp_path) as url:
        target = make_engine(url)
        upgrade(target, "0001")
        tables = MetaData()
        tables.reflect(target)
        with source.connect() as read, target.begin() as write:
            for table in tables.sorted_tables:
                if table.name == "alembic_version":
                    continue
                rows = [dict(r) for r in read.execute(select(table)).mappings()]
                if rows:
                    write.execute(insert(table), rows)
            write.execute(text("SELECT setval('harvests_id_seq', (SELECT max(id) FROM harvests))"))
        done = upgrade(target)
        assert (done.before, done.after) == ("0001", "0004")
        assert counts(url) == LANDED_COUNTS
        store = Store(url)
        assert store.current_harvest(PORTAL).datasets == 320
        assert store.portal(PORTAL).profile["id"] == PORTAL  # JSONB reads back as the same document
        work = tmp_path / "pg"
        work.mkdir()
        reported = odq("report", PORTAL, "--db", url, "--out", str(work / "r"), cwd=work)
        assert reported.returncode == 0, reported.stderr
        store.engine.dispose()
        target.dispose()
    source.dispose()
    shutil.rmtree(tmp_path / "pg", ignore_errors=True)
