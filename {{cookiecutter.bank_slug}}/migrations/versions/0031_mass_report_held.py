"""held mass-send reports: a MASSSENDJOBFINISH that came before the send wrote its msg_id

Revision ID: 0031
Revises: 0026
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0031'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'mass_report_held',
        sa.Column('msg_id', sa.String(length=32), nullable=False),
        sa.Column('job_status', sa.String(length=32), nullable=False),
        sa.Column('total_count', sa.Integer(), nullable=True),
        sa.Column('filter_count', sa.Integer(), nullable=True),
        sa.Column('sent_count', sa.Integer(), nullable=True),
        sa.Column('error_count', sa.Integer(), nullable=True),
        sa.Column('received_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('msg_id', name=op.f('pk_mass_report_held')),
    )
    op.create_index(op.f('ix_mass_report_held_received_at'), 'mass_report_held', ['received_at'])


def downgrade():
    op.drop_index(op.f('ix_mass_report_held_received_at'), table_name='mass_report_held')
    op.drop_table('mass_report_held')
