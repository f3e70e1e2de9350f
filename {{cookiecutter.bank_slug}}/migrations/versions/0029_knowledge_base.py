"""knowledge base: entries with synonyms, unanswered questions, the choices last offered to a customer

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'knowledge_entry',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('question', sa.String(length=100), nullable=False),
        sa.Column('synonyms', sa.Text(), nullable=False),
        sa.Column('answer', sa.String(length=600), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('hits', sa.Integer(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('updated_by', sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_knowledge_entry')),
    )
    op.create_table(
        'knowledge_unanswered',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('text', sa.String(length=200), nullable=False),
        sa.Column('text_hash', sa.String(length=64), nullable=False),
        sa.Column('times', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('first_asked_at', sa.DateTime(), nullable=False),
        sa.Column('last_asked_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_knowledge_unanswered')),
        sa.UniqueConstraint('text_hash', name=op.f('uq_knowledge_unanswered_text_hash')),
    )
    op.create_index(op.f('ix_knowledge_unanswered_status'), 'knowledge_unanswered', ['status'])
    op.create_table(
        'knowledge_choice',
        sa.Column('openid', sa.String(length=64), nullable=False),
        sa.Column('entry_ids', sa.String(length=64), nullable=False),
        sa.Column('offered_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('openid', name=op.f('pk_knowledge_choice')),
    )


def downgrade():
    op.drop_table('knowledge_choice')
    op.drop_index(op.f('ix_knowledge_unanswered_status'), table_name='knowledge_unanswered')
    op.drop_table('knowledge_unanswered')
    op.drop_table('knowledge_entry')
