"""transaction alert outbox, alert preferences, the bound card's SMS phone

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('alert',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('source_txn_id', sa.String(length=64), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('balance_after_fen', sa.BigInteger(), nullable=True),
    sa.Column('occurred_at', sa.DateTime(), nullable=False),
    sa.Column('counterparty', sa.String(length=64), nullable=False),
    sa.Column('memo', sa.String(length=140), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('lease_owner', sa.String(length=32), nullable=True),
    sa.Column('openid', sa.String(length=64), nullable=True),
    sa.Column('channel', sa.String(length=8), nullable=True),
    sa.Column('final_reason', sa.String(length=32), nullable=True),
    sa.Column('last_error', sa.String(length=200), nullable=True),
    sa.Column('msgid', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert')),
    sa.UniqueConstraint('source', 'source_txn_id', name='uq_alert_source_txn')
    )
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.create_index('ix_alert_due', ['state', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_alert_account_id'), ['account_id'], unique=False)

    op.create_table('alert_preference',
    sa.Column('openid', sa.String(length=64), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('min_amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('sms_fallback', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('openid', name=op.f('pk_alert_preference'))
    )
    with op.batch_alter_table('card_binding', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sms_phone', sa.String(length=20), nullable=True))


def downgrade():
    with op.batch_alter_table('card_binding', schema=None) as batch_op:
        batch_op.drop_column('sms_phone')
    op.drop_table('alert_preference')
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_account_id'))
        batch_op.drop_index('ix_alert_due')
    op.drop_table('alert')
