"""personal information: separate consents, the record of cancellations

Revision ID: 0035
Revises: 0031
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0035'
down_revision = '0031'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'privacy_consent',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('openid', sa.String(length=64), nullable=False),
        sa.Column('scope', sa.String(length=32), nullable=False),
        sa.Column('notice_version', sa.String(length=32), nullable=False),
        sa.Column('granted_at', sa.DateTime(), nullable=False),
        sa.Column('withdrawn_at', sa.DateTime(), nullable=True),
        sa.Column('ended_reason', sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_consent')),
    )
    op.create_index('ix_privacy_consent_openid_scope', 'privacy_consent', ['openid', 'scope'])
    op.create_index(op.f('ix_privacy_consent_withdrawn_at'), 'privacy_consent', ['withdrawn_at'])
    op.create_index('uq_privacy_consent_active', 'privacy_consent', ['openid', 'scope'], unique=True,
                    sqlite_where=sa.text('withdrawn_at IS NULL'), postgresql_where=sa.text('withdrawn_at IS NULL'))
    op.create_table(
        'privacy_erasure',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('subject_hash', sa.String(length=64), nullable=False),
        sa.Column('requested_at', sa.DateTime(), nullable=False),
        sa.Column('summary', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_erasure')),
    )
    op.create_index(op.f('ix_privacy_erasure_subject_hash'), 'privacy_erasure', ['subject_hash'])
    op.create_index(op.f('ix_privacy_erasure_requested_at'), 'privacy_erasure', ['requested_at'])


def downgrade():
    op.drop_table('privacy_erasure')
    op.drop_table('privacy_consent')
