"""complaints (投诉): the complaint with its 15/30/60-day clock, and its thread

Revision ID: 0027
Revises: 0024
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0027'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'complaint',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ticket_no', sa.String(length=24), nullable=True),
        sa.Column('idempotency_key', sa.String(length=64), nullable=False),
        sa.Column('openid', sa.String(length=64), nullable=False),
        sa.Column('category', sa.String(length=16), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('transaction_id', sa.String(length=64), nullable=True),
        sa.Column('transaction_summary', sa.String(length=120), nullable=True),
        sa.Column('account_id', sa.String(length=64), nullable=True),
        sa.Column('contact_channel', sa.String(length=8), nullable=False),
        sa.Column('contact_time', sa.String(length=16), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('branch_id', sa.Integer(), nullable=True),
        sa.Column('clock_start', sa.Date(), nullable=False),
        sa.Column('limit_days', sa.Integer(), nullable=False),
        sa.Column('extension_reason', sa.String(length=200), nullable=True),
        sa.Column('extended_by', sa.String(length=64), nullable=True),
        sa.Column('approved_by', sa.String(length=64), nullable=True),
        sa.Column('decided_at', sa.DateTime(), nullable=True),
        sa.Column('rating', sa.Integer(), nullable=True),
        sa.Column('reopen_count', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['branch_id'], ['bank_branch.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('idempotency_key'),
        sa.UniqueConstraint('ticket_no'),
    )
    op.create_index('ix_complaint_branch_status', 'complaint', ['branch_id', 'status'])
    op.create_index('ix_complaint_created', 'complaint', ['created_at'])
    op.create_index(op.f('ix_complaint_openid'), 'complaint', ['openid'])
    op.create_table(
        'complaint_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('complaint_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('author', sa.String(length=16), nullable=False),
        sa.Column('staff_username', sa.String(length=64), nullable=True),
        sa.Column('body', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_complaint_event_complaint_id'), 'complaint_event', ['complaint_id'])


def downgrade():
    op.drop_index(op.f('ix_complaint_event_complaint_id'), table_name='complaint_event')
    op.drop_table('complaint_event')
    op.drop_index(op.f('ix_complaint_openid'), table_name='complaint')
    op.drop_index('ix_complaint_created', table_name='complaint')
    op.drop_index('ix_complaint_branch_status', table_name='complaint')
    op.drop_table('complaint')
