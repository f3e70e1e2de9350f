"""wechat_access_token: the stable_token forced-refresh guard; alert: the template send's delivery report

Revision ID: 0022
Revises: 0014 (re-chained at merge)
Create Date: 2026-12-03

WeChat's getStableAccessToken allows 20 forced refreshes a day, at least 30 s apart: the shared token row
counts them (Beijing day, count, last one). TEMPLATESENDJOBFINISH reports whether a template message
reached the user: the alert row keeps that status and when it came.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('wechat_access_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('forced_day', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('forced_count', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('forced_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.add_column(sa.Column('delivery_status', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('delivery_reported_at', sa.DateTime(), nullable=True))
        batch_op.create_index('ix_alert_msgid', ['msgid'], unique=False)


def downgrade():
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.drop_index('ix_alert_msgid')
        batch_op.drop_column('delivery_reported_at')
        batch_op.drop_column('delivery_status')
    with op.batch_alter_table('wechat_access_token', schema=None) as batch_op:
        batch_op.drop_column('forced_at')
        batch_op.drop_column('forced_count')
        batch_op.drop_column('forced_day')
