"""transfer orders and PIN attempt counters

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('transfer_order',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=False),
    sa.Column('openid', sa.String(length=64), nullable=False),
    sa.Column('binding_id', sa.Integer(), nullable=False),
    sa.Column('from_account_id', sa.String(length=64), nullable=False),
    sa.Column('from_card_masked', sa.String(length=32), nullable=False),
    sa.Column('payee_number', sa.String(length=32), nullable=False),
    sa.Column('payee_name', sa.String(length=64), nullable=False),
    sa.Column('payee_bank', sa.String(length=16), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('memo', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('failure_code', sa.String(length=32), nullable=True),
    sa.Column('failure_message', sa.String(length=200), nullable=True),
    sa.Column('transfer_id', sa.String(length=64), nullable=True),
    sa.Column('balance_after_fen', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfer_order')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_transfer_order_idempotency_key'))
    )
    with op.batch_alter_table('transfer_order', schema=None) as batch_op:
        batch_op.create_index('ix_transfer_order_account_submitted', ['from_account_id', 'submitted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_transfer_order_openid'), ['openid'], unique=False)

    op.create_table('transfer_pin_guard',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfer_pin_guard')),
    sa.UniqueConstraint('account_id', name=op.f('uq_transfer_pin_guard_account_id'))
    )


def downgrade():
    op.drop_table('transfer_pin_guard')
    with op.batch_alter_table('transfer_order', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transfer_order_openid'))
        batch_op.drop_index('ix_transfer_order_account_submitted')

    op.drop_table('transfer_order')
