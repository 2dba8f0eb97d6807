"""round_evidence: what a round pinned for each portal's evidence pack (every finding, the portal's address).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "round_evidence",
        sa.Column("round_id", sa.Integer, sa.ForeignKey("rounds.id"), primary_key=True),
        sa.Column("portal_id", sa.String(120), primary_key=True),
        sa.Column("portal", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("findings", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("round_evidence")
