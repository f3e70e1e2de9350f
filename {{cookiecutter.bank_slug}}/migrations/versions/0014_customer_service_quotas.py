"""wechat_interaction: the customer-service windows' counts and the 1-minute event window; wechat_user_location

Revision ID: 0014
Revises: 0021 (chained after the branch details at merge)
Create Date: 2026-12-03

WeChat's rules since 2023-06-12 (wechat/window.py): a user's message opens 48 hours with 5 customer-service
messages, a menu click / follow / scan 1 minute with 3. Existing rows keep `last_at` as the message window
with nothing used. wechat_user_location keeps the last LOCATION event / location message per openid.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('wechat_interaction', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message_used', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('event_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('event_used', sa.Integer(), nullable=False, server_default='0'))
    op.create_table(
        'wechat_user_location',
        sa.Column('openid', sa.String(length=64), nullable=False),
        sa.Column('latitude', sa.Float(), nullable=False),
        sa.Column('longitude', sa.Float(), nullable=False),
        sa.Column('precision_m', sa.Float(), nullable=True),
        sa.Column('scale', sa.Integer(), nullable=True),
        sa.Column('label', sa.String(length=200), nullable=True),
        sa.Column('source', sa.String(length=8), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('openid', name=op.f('pk_wechat_user_location')),
    )


def downgrade():
    op.drop_table('wechat_user_location')
    with op.batch_alter_table('wechat_interaction', schema=None) as batch_op:
        batch_op.drop_column('event_used')
        batch_op.drop_column('event_at')
        batch_op.drop_column('message_used')
