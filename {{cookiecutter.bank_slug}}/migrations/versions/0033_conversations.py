"""conversations with staff (人工服务): conversations, messages, account managers, customer assignment, service hours,
canned replies

Revision ID: 0033
Revises: 0031
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0033'
down_revision = '0031'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'conversation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('openid', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=8), nullable=False),
        sa.Column('branch_code', sa.String(length=16), nullable=True),
        sa.Column('assignee_id', sa.Integer(), nullable=True),
        sa.Column('opened_at', sa.DateTime(), nullable=False),
        sa.Column('last_message_at', sa.DateTime(), nullable=False),
        sa.Column('waiting_since', sa.DateTime(), nullable=True),
        sa.Column('first_response_at', sa.DateTime(), nullable=True),
        sa.Column('closed_at', sa.DateTime(), nullable=True),
        sa.Column('closed_by', sa.String(length=64), nullable=True),
        sa.Column('rating', sa.Integer(), nullable=True),
        sa.Column('rated_at', sa.DateTime(), nullable=True),
        sa.Column('hours_notice_at', sa.DateTime(), nullable=True),
        sa.Column('flood_notice_at', sa.DateTime(), nullable=True),
        sa.Column('unanswered', sa.Integer(), nullable=False),
        sa.Column('last_excerpt', sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(['assignee_id'], ['admin_staff_user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_conversation_openid_status', 'conversation', ['openid', 'status'])
    op.create_index('uq_conversation_open_openid', 'conversation', ['openid'], unique=True,
                    postgresql_where=sa.text("status = 'open'"), sqlite_where=sa.text("status = 'open'"))
    op.create_index('ix_conversation_branch_status', 'conversation', ['branch_code', 'status'])
    op.create_index('ix_conversation_assignee_status', 'conversation', ['assignee_id', 'status'])
    op.create_index('ix_conversation_opened', 'conversation', ['opened_at'])
    op.create_table(
        'conversation_message',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('conversation_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('author', sa.String(length=8), nullable=False),
        sa.Column('staff_id', sa.Integer(), nullable=True),
        sa.Column('staff_name', sa.String(length=64), nullable=True),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('throttled', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['conversation_id'], ['conversation.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['staff_id'], ['admin_staff_user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_conversation_message_conversation_id'), 'conversation_message', ['conversation_id'])
    op.create_index('ix_conversation_message_at', 'conversation_message', ['at'])
    op.create_table(
        'conversation_manager',
        sa.Column('staff_id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=32), nullable=False),
        sa.Column('phone', sa.String(length=20), nullable=False),
        sa.Column('photo_url', sa.String(length=300), nullable=False),
        sa.Column('introduction', sa.String(length=200), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['staff_id'], ['admin_staff_user.id']),
        sa.PrimaryKeyConstraint('staff_id'),
    )
    op.create_table(
        'conversation_customer_manager',
        sa.Column('openid', sa.String(length=64), nullable=False),
        sa.Column('manager_id', sa.Integer(), nullable=False),
        sa.Column('assigned_at', sa.DateTime(), nullable=False),
        sa.Column('assigned_by', sa.String(length=64), nullable=False),
        sa.Column('contact_consent', sa.Boolean(), nullable=False),
        sa.Column('consent_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['manager_id'], ['conversation_manager.staff_id']),
        sa.PrimaryKeyConstraint('openid'),
    )
    op.create_index(op.f('ix_conversation_customer_manager_manager_id'), 'conversation_customer_manager',
                    ['manager_id'])
    op.create_table(
        'conversation_service_hours',
        sa.Column('branch_code', sa.String(length=16), nullable=False),
        sa.Column('hours', sa.String(length=200), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('branch_code'),
    )
    op.create_table(
        'conversation_canned_reply',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('branch_code', sa.String(length=16), nullable=True),
        sa.Column('title', sa.String(length=32), nullable=False),
        sa.Column('body', sa.String(length=600), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_conversation_canned_reply_branch_code'), 'conversation_canned_reply', ['branch_code'])


def downgrade():
    op.drop_index(op.f('ix_conversation_canned_reply_branch_code'), table_name='conversation_canned_reply')
    op.drop_table('conversation_canned_reply')
    op.drop_table('conversation_service_hours')
    op.drop_index(op.f('ix_conversation_customer_manager_manager_id'), table_name='conversation_customer_manager')
    op.drop_table('conversation_customer_manager')
    op.drop_table('conversation_manager')
    op.drop_index('ix_conversation_message_at', table_name='conversation_message')
    op.drop_index(op.f('ix_conversation_message_conversation_id'), table_name='conversation_message')
    op.drop_table('conversation_message')
    op.drop_index('ix_conversation_opened', table_name='conversation')
    op.drop_index('ix_conversation_assignee_status', table_name='conversation')
    op.drop_index('ix_conversation_branch_status', table_name='conversation')
    op.drop_index('uq_conversation_open_openid', table_name='conversation')
    op.drop_index('ix_conversation_openid_status', table_name='conversation')
    op.drop_table('conversation')
