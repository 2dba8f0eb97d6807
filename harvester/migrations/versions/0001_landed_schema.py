"""The schema odq 0.1 had when migrations began (the landing before them): revision one.

The tables are written out here as they were, not imported from the models: the models move on, this revision
must not. `harvester.schema` also uses them to adopt a store made before migrations (it adds what is missing).

Revision ID: 0001
Revises:
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

metadata = sa.MetaData()


def _table(name: str, *columns: sa.SchemaItem) -> sa.Table:
    return sa.Table(name, metadata, *columns)


_table(
    "portals",
    sa.Column("id", sa.String(120), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("level", sa.String(40), nullable=False),
    sa.Column("region", sa.Text),
    sa.Column("software", sa.String(40), nullable=False),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("profile", sa.JSON, nullable=False),
    sa.Column("current_harvest_id", sa.Integer),
)
_table(
    "harvests",
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("portal_id", sa.String(120), sa.ForeignKey("portals.id"), nullable=False, index=True),
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("finished_at", sa.DateTime),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("mode", sa.String(20), nullable=False),
    sa.Column("datasets", sa.Integer, nullable=False),
    sa.Column("new_records", sa.Integer, nullable=False),
    sa.Column("distributions", sa.Integer, nullable=False),
    sa.Column("errors_count", sa.Integer, nullable=False),
    sa.Column("requests", sa.Integer, nullable=False),
    sa.Column("bytes", sa.BigInteger, nullable=False),
    sa.Column("seconds", sa.Float, nullable=False),
    sa.Column("errors", sa.JSON, nullable=False),
    sa.Column("bookmark", sa.JSON),
    sa.Column("info", sa.JSON, nullable=False),
    sa.Column("heartbeat_at", sa.DateTime),
    sa.Column("owner_pid", sa.Integer),
    sa.Column("owner_host", sa.String(255)),
)
_table(
    "harvest_locks",
    sa.Column("portal_id", sa.String(120), primary_key=True),
    sa.Column("owner", sa.String(300), nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("host", sa.String(255), nullable=False),
    sa.Column("acquired_at", sa.DateTime, nullable=False),
    sa.Column("heartbeat_at", sa.DateTime, nullable=False),
    sa.Column("harvest_id", sa.Integer),
)
_table(
    "records",
    sa.Column("hash", sa.String(64), primary_key=True),
    sa.Column("portal_id", sa.String(120), nullable=False),
    sa.Column("native_id", sa.Text, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("publisher", sa.Text),
    sa.Column("department", sa.Text),
    sa.Column("description_length", sa.Integer, nullable=False),
    sa.Column("categories", sa.Text, nullable=False),
    sa.Column("keywords", sa.Text, nullable=False),
    sa.Column("frequency_raw", sa.Text),
    sa.Column("frequency", sa.String(40)),
    sa.Column("issued", sa.String(40)),
    sa.Column("modified", sa.String(40)),
    sa.Column("data_modified", sa.String(40)),
    sa.Column("licence", sa.Text),
    sa.Column("open_type", sa.Text),
    sa.Column("fields_count", sa.Integer, nullable=False),
    sa.Column("fields_described", sa.Integer, nullable=False),
    sa.Column("fields_typed", sa.Integer, nullable=False),
    sa.Column("distributions_count", sa.Integer, nullable=False),
    sa.Column("formats", sa.Text, nullable=False),
    sa.Column("has_api", sa.Boolean, nullable=False),
    sa.Column("views", sa.BigInteger),
    sa.Column("downloads", sa.BigInteger),
    sa.Column("api_calls", sa.BigInteger),
    sa.Column("record_count", sa.BigInteger),
    sa.Column("problems", sa.Text, nullable=False),
)
_table(
    "record_blobs",
    sa.Column("hash", sa.String(64), primary_key=True),
    sa.Column("document", sa.LargeBinary, nullable=False),
    sa.Column("raw", sa.LargeBinary, nullable=False),
)
_table(
    "harvest_records",
    sa.Column("harvest_id", sa.Integer, sa.ForeignKey("harvests.id"), primary_key=True),
    sa.Column("native_id", sa.Text, primary_key=True),
    sa.Column("record_hash", sa.String(64), nullable=False),
    sa.Index("ix_harvest_records_hash", "record_hash"),
)
_table(
    "distributions",
    sa.Column("record_hash", sa.String(64), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("url", sa.Text),
    sa.Column("title", sa.Text),
    sa.Column("format_raw", sa.Text),
    sa.Column("format", sa.String(40)),
    sa.Column("media_type", sa.Text),
    sa.Column("byte_size", sa.BigInteger),
    sa.Column("is_api", sa.Boolean, nullable=False),
)
_table(
    "measures",
    sa.Column("harvest_id", sa.Integer, sa.ForeignKey("harvests.id"), primary_key=True),
    sa.Column("measure_id", sa.String(80), primary_key=True),
    sa.Column("family", sa.String(40), nullable=False),
    sa.Column("value", sa.Float),
    sa.Column("detail", sa.JSON, nullable=False),
)
_table(
    "findings",
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("harvest_id", sa.Integer, sa.ForeignKey("harvests.id"), nullable=False, index=True),
    sa.Column("family", sa.String(40), nullable=False),
    sa.Column("measure_id", sa.String(80), nullable=False),
    sa.Column("native_id", sa.Text),
    sa.Column("title", sa.Text),
    sa.Column("message", sa.Text, nullable=False),
)
_table(
    "scores",
    sa.Column("harvest_id", sa.Integer, sa.ForeignKey("harvests.id"), primary_key=True),
    sa.Column("system_id", sa.String(80), primary_key=True),
    sa.Column("level", sa.String(40), nullable=False),
    sa.Column("composite", sa.Float),
    sa.Column("tier", sa.String(20)),
    sa.Column("result", sa.JSON, nullable=False),
)
_table(
    "link_checks",
    sa.Column("url", sa.Text, primary_key=True),
    sa.Column("checked_at", sa.DateTime, nullable=False),
    sa.Column("status", sa.Integer),
    sa.Column("alive", sa.Boolean, nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("content_type", sa.Text),
    sa.Column("final_url", sa.Text),
)
_table(
    "file_reports",
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("harvest_id", sa.Integer, sa.ForeignKey("harvests.id"), nullable=False, index=True),
    sa.Column("native_id", sa.Text, nullable=False),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("valid", sa.Boolean),
    sa.Column("report", sa.JSON, nullable=False),
)
_table(
    "rounds",
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("system_id", sa.String(80), nullable=False, index=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("previous_round_id", sa.Integer),
    sa.Column("levels", sa.JSON, nullable=False),
    sa.Column("system", sa.JSON, nullable=False),
    sa.Column("facts", sa.JSON),
    sa.Column("info", sa.JSON, nullable=False),
)
_table(
    "round_portals",
    sa.Column("round_id", sa.Integer, sa.ForeignKey("rounds.id"), primary_key=True),
    sa.Column("portal_id", sa.String(120), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("level", sa.String(40), nullable=False),
    sa.Column("group", sa.Text, nullable=False),
    sa.Column("region", sa.Text),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("reason", sa.String(40)),
    sa.Column("harvest_id", sa.Integer),
    sa.Column("harvested_at", sa.String(40)),
    sa.Column("datasets", sa.Integer),
    sa.Column("score", sa.JSON),
    sa.Column("measures", sa.JSON, nullable=False),
    sa.Column("findings", sa.JSON, nullable=False),
    sa.Column("facts", sa.JSON, nullable=False),
)


def upgrade() -> None:
    metadata.create_all(op.get_bind())


def downgrade() -> None:
    metadata.drop_all(op.get_bind())
