"""branches: opening hours, coordinates (GCJ-02) and a closing date on bank_branch

Revision ID: 0021
Revises: 0012 (re-chained at merge)
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('bank_branch') as batch:
        batch.add_column(sa.Column('opening_hours', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('latitude', sa.Float(), nullable=True))
        batch.add_column(sa.Column('longitude', sa.Float(), nullable=True))
        batch.add_column(sa.Column('closed_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('bank_branch') as batch:
        batch.drop_column('closed_at')
        batch.drop_column('longitude')
        batch.drop_column('latitude')
        batch.drop_column('opening_hours')
