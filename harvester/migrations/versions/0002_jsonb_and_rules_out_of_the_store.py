"""JSONB on PostgreSQL; the field-description rule leaves the store (it runs at assessment time now).

- PostgreSQL keeps every JSON column as JSONB (indexable, compared by value); SQLite is unchanged.
- records.fields_described froze the "a description says more than the name" rule at harvest time, so a changed
  rule needed a re-harvest. The rule now runs over the stored record when a harvest is assessed.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

JSON_COLUMNS = {
    "portals": ["profile"],
    "harvests": ["errors", "bookmark", "info"],
    "measures": ["detail"],
    "scores": ["result"],
    "file_reports": ["report"],
    "rounds": ["levels", "system", "facts", "info"],
    "round_portals": ["score", "measures", "findings", "facts"],
}


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, columns in JSON_COLUMNS.items():
            for column in columns:
                op.execute(f'ALTER TABLE {table} ALTER COLUMN "{column}" TYPE jsonb USING "{column}"::jsonb')
    with op.batch_alter_table("records") as batch:
        batch.drop_column("fields_described")


def downgrade() -> None:
    # The dropped counts cannot be recovered without re-reading every record: the column comes back as 0.
    with op.batch_alter_table("records") as batch:
        batch.add_column(sa.Column("fields_described", sa.Integer, nullable=False, server_default="0"))
    if op.get_bind().dialect.name == "postgresql":
        for table, columns in JSON_COLUMNS.items():
            for column in columns:
                op.execute(f'ALTER TABLE {table} ALTER COLUMN "{column}" TYPE json USING "{column}"::json')
