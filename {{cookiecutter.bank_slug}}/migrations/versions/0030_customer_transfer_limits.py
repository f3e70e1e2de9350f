"""transfer limits per customer: their own lower limits, and the index that counts a customer's day

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'transfer_customer_limit',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('openid', sa.String(length=64), nullable=False),
        sa.Column('single_fen', sa.BigInteger(), nullable=False),
        sa.Column('daily_fen', sa.BigInteger(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('updated_by', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_transfer_customer_limit')),
        sa.UniqueConstraint('openid', name=op.f('uq_transfer_customer_limit_openid')),
    )
    op.create_index('ix_transfer_order_openid_submitted', 'transfer_order', ['openid', 'submitted_at'])


def downgrade():
    op.drop_index('ix_transfer_order_openid_submitted', table_name='transfer_order')
    op.drop_table('transfer_customer_limit')
