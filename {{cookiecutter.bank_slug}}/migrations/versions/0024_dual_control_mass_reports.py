"""双人复核 for 群发 and menu versions, and WeChat's MASSSENDJOBFINISH report on a mass push

Revision ID: 0024
Revises: 0030
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0030'
branch_labels = None
depends_on = None

REVIEW_TABLES = ('mass_push', 'wechat_menu_version')


def _review_columns(batch):
    batch.add_column(sa.Column('review_status', sa.String(length=16), nullable=True))
    batch.add_column(sa.Column('submitted_by', sa.String(length=64), nullable=True))
    batch.add_column(sa.Column('submitted_at', sa.DateTime(), nullable=True))
    batch.add_column(sa.Column('reviewed_by', sa.String(length=64), nullable=True))
    batch.add_column(sa.Column('reviewed_at', sa.DateTime(), nullable=True))
    batch.add_column(sa.Column('review_reason', sa.String(length=200), nullable=True))


def upgrade():
    for table in REVIEW_TABLES:
        with op.batch_alter_table(table) as batch:
            _review_columns(batch)
    with op.batch_alter_table('mass_push') as batch:
        batch.add_column(sa.Column('confirmed_filtered', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column('job_status', sa.String(length=32), nullable=True))
        batch.add_column(sa.Column('total_count', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('filter_count', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('sent_count', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('error_count', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('reported_at', sa.DateTime(), nullable=True))
        batch.create_index(batch.f('ix_mass_push_msg_id'), ['msg_id'], unique=False)
    # what went out before dual control counts as approved (the command line publishes approved versions only)
    for table in REVIEW_TABLES:
        column = 'sent_at' if table == 'mass_push' else 'published_at'
        op.execute(f"UPDATE {table} SET review_status = 'approved' WHERE {column} IS NOT NULL")


def downgrade():
    with op.batch_alter_table('mass_push') as batch:
        batch.drop_index(batch.f('ix_mass_push_msg_id'))
        for column in ('reported_at', 'error_count', 'sent_count', 'filter_count', 'total_count', 'job_status',
                       'confirmed_filtered'):
            batch.drop_column(column)
    for table in REVIEW_TABLES:
        with op.batch_alter_table(table) as batch:
            for column in ('review_reason', 'reviewed_at', 'reviewed_by', 'submitted_at', 'submitted_by',
                           'review_status'):
                batch.drop_column(column)
