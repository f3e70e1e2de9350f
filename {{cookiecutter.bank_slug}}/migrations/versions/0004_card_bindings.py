"""card bindings and binding challenges

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('card_binding',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('openid', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('card_mask', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('alerts_suspended', sa.Boolean(), nullable=False),
    sa.Column('bound_at', sa.DateTime(), nullable=False),
    sa.Column('unbound_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_card_binding'))
    )
    with op.batch_alter_table('card_binding', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_card_binding_openid'), ['openid'], unique=False)
        # An account is bound to one openid at a time; unbound rows stay for the record.
        batch_op.create_index('uq_card_binding_active_account', ['account_id'], unique=True,
                              sqlite_where=sa.text("status = 'active'"),
                              postgresql_where=sa.text("status = 'active'"))

    op.create_table('card_binding_challenge',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('openid', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('card_mask', sa.String(length=32), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('code_salt', sa.String(length=32), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('sends', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_card_binding_challenge'))
    )
    with op.batch_alter_table('card_binding_challenge', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_card_binding_challenge_openid'), ['openid'], unique=False)


def downgrade():
    with op.batch_alter_table('card_binding_challenge', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_card_binding_challenge_openid'))

    op.drop_table('card_binding_challenge')
    with op.batch_alter_table('card_binding', schema=None) as batch_op:
        batch_op.drop_index('uq_card_binding_active_account')
        batch_op.drop_index(batch_op.f('ix_card_binding_openid'))

    op.drop_table('card_binding')
