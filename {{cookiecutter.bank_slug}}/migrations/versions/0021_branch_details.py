"""branches: opening hours, coordinates (GCJ-02) and a closing date on bank_branch

Revision ID: 0021
Revises: 0017
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0017'
branch_labels = None
depends_on = None


# Plain ALTER TABLE, not batch mode: bank_branch is referenced by customers and staff, and SQLite's batch
# "copy and rename" would break those foreign keys (SQLite >= 3.35 drops a column natively).
COLUMNS = (
    ('opening_hours', sa.String(length=200)),
    ('latitude', sa.Float()),
    ('longitude', sa.Float()),
    ('closed_at', sa.DateTime()),
)


def upgrade():
    for name, type_ in COLUMNS:
        op.add_column('bank_branch', sa.Column(name, type_, nullable=True))


def downgrade():
    for name, _ in reversed(COLUMNS):
        op.drop_column('bank_branch', name)
