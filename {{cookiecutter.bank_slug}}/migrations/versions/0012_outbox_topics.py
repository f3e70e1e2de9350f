"""outbox: topic and payload on the outbox table (`alert`), the WeChat 48-hour window per openid

Revision ID: 0012
Revises: 0010 (rebase onto 0011, the ledger constraints, when both are merged)
Create Date: 2026-12-08

Existing rows are transaction alerts: the topic's server default fills them in, no data migration.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.add_column(sa.Column('topic', sa.String(length=32), nullable=False,
                                      server_default='transaction_alert'))
        batch_op.add_column(sa.Column('payload', sa.Text(), nullable=True))
    op.create_table(
        'wechat_interaction',
        sa.Column('openid', sa.String(length=64), nullable=False),
        sa.Column('last_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('openid', name=op.f('pk_wechat_interaction')),
    )


def downgrade():
    op.drop_table('wechat_interaction')
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.drop_column('payload')
        batch_op.drop_column('topic')
