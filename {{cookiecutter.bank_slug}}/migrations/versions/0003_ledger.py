"""built-in double-entry ledger (accounts, journal entries, postings)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('ledger_journal_entry',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('idempotency_key', sa.String(length=128), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_journal_entry')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_ledger_journal_entry_idempotency_key'))
    )
    op.create_table('ledger_account',
    sa.Column('account_id', sa.String(length=16), nullable=False),
    sa.Column('card_number', sa.String(length=19), nullable=True),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('label', sa.String(length=64), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('balance_fen', sa.BigInteger(), nullable=False),
    sa.Column('pin_hash', sa.String(length=256), nullable=True),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['bank_customer.id'], name=op.f('fk_ledger_account_customer_id_bank_customer')),
    sa.PrimaryKeyConstraint('account_id', name=op.f('pk_ledger_account')),
    sa.UniqueConstraint('card_number', name=op.f('uq_ledger_account_card_number'))
    )
    with op.batch_alter_table('ledger_account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_account_customer_id'), ['customer_id'], unique=False)

    op.create_table('ledger_posting',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('account_id', sa.String(length=16), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('balance_after_fen', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('counterparty_name', sa.String(length=64), nullable=False),
    sa.Column('counterparty_account', sa.String(length=34), nullable=False),
    sa.Column('memo', sa.String(length=140), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['ledger_account.account_id'], name=op.f('fk_ledger_posting_account_id_ledger_account')),
    sa.ForeignKeyConstraint(['entry_id'], ['ledger_journal_entry.id'], name=op.f('fk_ledger_posting_entry_id_ledger_journal_entry')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_posting'))
    )
    with op.batch_alter_table('ledger_posting', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_posting_account_id_id'), ['account_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_posting_entry_id'), ['entry_id'], unique=False)


def downgrade():
    with op.batch_alter_table('ledger_posting', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_posting_entry_id'))
        batch_op.drop_index(batch_op.f('ix_ledger_posting_account_id_id'))

    op.drop_table('ledger_posting')
    with op.batch_alter_table('ledger_account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_account_customer_id'))

    op.drop_table('ledger_account')
    op.drop_table('ledger_journal_entry')
