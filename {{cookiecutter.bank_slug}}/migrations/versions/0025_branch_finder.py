"""branch finder: a branch's kind (branch, self-service, ATM), its services, and an index on its coordinates

Revision ID: 0025
Revises: 0023
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0023'
branch_labels = None
depends_on = None


# Plain ALTER TABLE (see 0021): bank_branch is referenced by customers and staff.
def upgrade():
    op.add_column('bank_branch', sa.Column('kind', sa.String(length=16), nullable=False, server_default='branch'))
    op.add_column('bank_branch', sa.Column('services', sa.String(length=200), nullable=True))
    op.create_index('ix_bank_branch_location', 'bank_branch', ['latitude', 'longitude'])


def downgrade():
    op.drop_index('ix_bank_branch_location', table_name='bank_branch')
    op.drop_column('bank_branch', 'services')
    op.drop_column('bank_branch', 'kind')
