"""held delivery reports: a TEMPLATESENDJOBFINISH that came before the dispatcher recorded the msgid

Revision ID: 0028
Revises: 0025
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0028'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'alert_report_held',
        sa.Column('msgid', sa.String(length=32), nullable=False),
        sa.Column('status', sa.String(length=32), nullable=False),
        sa.Column('received_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('msgid', name=op.f('pk_alert_report_held')),
    )
    op.create_index(op.f('ix_alert_report_held_received_at'), 'alert_report_held', ['received_at'])


def downgrade():
    op.drop_index(op.f('ix_alert_report_held_received_at'), table_name='alert_report_held')
    op.drop_table('alert_report_held')
