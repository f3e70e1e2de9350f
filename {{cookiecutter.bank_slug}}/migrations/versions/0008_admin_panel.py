"""admin panel: audit log, failed logins, the binding's branch and unbind reason

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

# Bindings made before this revision get the branch of their account where the built-in ledger knows it
# (with an external core they stay empty: only head office sees them until they are bound again).
BACKFILL_BRANCH_CODE = """
UPDATE card_binding SET branch_code = (
    SELECT bank_branch.code FROM ledger_account
    JOIN bank_customer ON bank_customer.id = ledger_account.customer_id
    JOIN bank_branch ON bank_branch.id = bank_customer.branch_id
    WHERE ledger_account.account_id = card_binding.account_id
) WHERE branch_code IS NULL
"""


def upgrade():
    op.create_table('admin_audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('staff_username', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('target_type', sa.String(length=32), nullable=False),
    sa.Column('target_id', sa.String(length=64), nullable=False),
    sa.Column('before', sa.Text(), nullable=True),
    sa.Column('after', sa.Text(), nullable=True),
    sa.Column('ip', sa.String(length=45), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_admin_audit_log'))
    )
    with op.batch_alter_table('admin_audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_admin_audit_log_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_admin_audit_log_staff_id'), ['staff_id'], unique=False)

    op.create_table('admin_login_failure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('ip', sa.String(length=45), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_admin_login_failure'))
    )
    with op.batch_alter_table('admin_login_failure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_admin_login_failure_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_admin_login_failure_ip'), ['ip'], unique=False)
        batch_op.create_index(batch_op.f('ix_admin_login_failure_username'), ['username'], unique=False)

    with op.batch_alter_table('card_binding', schema=None) as batch_op:
        batch_op.add_column(sa.Column('branch_code', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('unbind_reason', sa.String(length=200), nullable=True))
        batch_op.create_index(batch_op.f('ix_card_binding_branch_code'), ['branch_code'], unique=False)

    with op.batch_alter_table('card_binding_challenge', schema=None) as batch_op:
        batch_op.add_column(sa.Column('branch_code', sa.String(length=16), nullable=True))

    op.execute(BACKFILL_BRANCH_CODE)


def downgrade():
    with op.batch_alter_table('card_binding_challenge', schema=None) as batch_op:
        batch_op.drop_column('branch_code')

    with op.batch_alter_table('card_binding', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_card_binding_branch_code'))
        batch_op.drop_column('unbind_reason')
        batch_op.drop_column('branch_code')

    with op.batch_alter_table('admin_login_failure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_admin_login_failure_username'))
        batch_op.drop_index(batch_op.f('ix_admin_login_failure_ip'))
        batch_op.drop_index(batch_op.f('ix_admin_login_failure_at'))

    op.drop_table('admin_login_failure')
    with op.batch_alter_table('admin_audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_admin_audit_log_staff_id'))
        batch_op.drop_index(batch_op.f('ix_admin_audit_log_at'))

    op.drop_table('admin_audit_log')
