"""credit cards: credit-card ledger accounts and their terms, card spending and repayments, repayment orders

The ledger gets a fourth account kind, `credit` (a customer's credit card: a liability account whose balance is
0 or below, minus what it owes), its terms (`ledger_credit_card`: limit, statement day, due day), two journal
entry kinds (card_purchase, credit_repayment) and two posting kinds (purchase, repayment). The CHECK constraints
that list the kinds are replaced by ones listing the new kinds too, and a credit card may never be in credit.
The service records each repayment the customer submits (`credit_repayment`).

SQLite changes a CHECK by copying the table (batch mode), which its foreign keys refuse while rows point at it:
as in 0011, foreign keys are switched off around the copy and checked after it.

Revision ID: 0032
Revises: 0036
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0032'
down_revision = '0036'
branch_labels = None
depends_on = None

OLD = {
    ('ledger_account', 'kind'): "kind IN ('customer', 'settlement', 'capital')",
    ('ledger_journal_entry', 'kind'): "kind IN ('transfer', 'interbank_transfer', 'opening_deposit')",
    ('ledger_posting', 'kind'): ("kind IN ('transfer_in', 'transfer_out', 'deposit', 'withdrawal', 'fee', "
                                 "'interest', 'other')"),
}
NEW = {
    ('ledger_account', 'kind'): "kind IN ('customer', 'settlement', 'capital', 'credit')",
    ('ledger_journal_entry', 'kind'): ("kind IN ('transfer', 'interbank_transfer', 'opening_deposit', "
                                       "'card_purchase', 'credit_repayment')"),
    ('ledger_posting', 'kind'): ("kind IN ('transfer_in', 'transfer_out', 'deposit', 'withdrawal', 'fee', "
                                 "'interest', 'other', 'purchase', 'repayment')"),
}
CREDIT_NOT_POSITIVE = "kind <> 'credit' OR balance_fen <= 0"


def _sqlite_foreign_keys(on):
    with op.get_context().autocommit_block():
        op.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def _replace_checks(checks, add_credit_rule):
    for (table, name), condition in checks.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f'ck_{table}_{name}'), type_='check')
            batch_op.create_check_constraint(op.f(f'ck_{table}_{name}'), condition)
            if table == 'ledger_account' and add_credit_rule is not None:
                if add_credit_rule:
                    batch_op.create_check_constraint(op.f('ck_ledger_account_credit_not_positive'),
                                                     CREDIT_NOT_POSITIVE)
                else:
                    batch_op.drop_constraint(op.f('ck_ledger_account_credit_not_positive'), type_='check')


def _with_foreign_keys_off(work):
    sqlite = op.get_bind().dialect.name == 'sqlite'
    if sqlite:
        _sqlite_foreign_keys(on=False)
    try:
        work()
        if sqlite and op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").first() is not None:
            raise RuntimeError("a foreign key broke while the ledger tables were copied; run `flask ledger check`")
    finally:
        if sqlite:
            _sqlite_foreign_keys(on=True)


def upgrade():
    _with_foreign_keys_off(lambda: _replace_checks(NEW, add_credit_rule=True))
    op.create_table(
        'ledger_credit_card',
        sa.Column('account_id', sa.String(length=16), nullable=False),
        sa.Column('credit_limit_fen', sa.BigInteger(), nullable=False),
        sa.Column('statement_day', sa.Integer(), nullable=False),
        sa.Column('due_day', sa.Integer(), nullable=False),
        sa.CheckConstraint('credit_limit_fen > 0', name=op.f('ck_ledger_credit_card_limit_positive')),
        sa.CheckConstraint('statement_day BETWEEN 1 AND 28', name=op.f('ck_ledger_credit_card_statement_day')),
        sa.CheckConstraint('due_day BETWEEN 1 AND 28', name=op.f('ck_ledger_credit_card_due_day')),
        sa.ForeignKeyConstraint(['account_id'], ['ledger_account.account_id'],
                                name=op.f('fk_ledger_credit_card_account_id_ledger_account')),
        sa.PrimaryKeyConstraint('account_id', name=op.f('pk_ledger_credit_card')),
    )
    op.create_table(
        'credit_repayment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('idempotency_key', sa.String(length=64), nullable=False),
        sa.Column('openid', sa.String(length=64), nullable=False),
        sa.Column('card_binding_id', sa.Integer(), nullable=False),
        sa.Column('card_account_id', sa.String(length=64), nullable=False),
        sa.Column('card_mask', sa.String(length=32), nullable=False),
        sa.Column('from_binding_id', sa.Integer(), nullable=False),
        sa.Column('from_account_id', sa.String(length=64), nullable=False),
        sa.Column('from_card_mask', sa.String(length=32), nullable=False),
        sa.Column('mode', sa.String(length=16), nullable=False),
        sa.Column('statement_id', sa.String(length=64), nullable=True),
        sa.Column('amount_fen', sa.BigInteger(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('failure_code', sa.String(length=32), nullable=True),
        sa.Column('failure_message', sa.String(length=200), nullable=True),
        sa.Column('repayment_id', sa.String(length=64), nullable=True),
        sa.Column('owed_after_fen', sa.BigInteger(), nullable=True),
        sa.Column('available_after_fen', sa.BigInteger(), nullable=True),
        sa.Column('from_balance_after_fen', sa.BigInteger(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('submitted_at', sa.DateTime(), nullable=True),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.CheckConstraint('amount_fen > 0', name=op.f('ck_credit_repayment_amount_positive')),
        sa.CheckConstraint("status IN ('awaiting_pin', 'processing', 'posted', 'failed', 'unconfirmed')",
                           name=op.f('ck_credit_repayment_status')),
        sa.CheckConstraint("mode IN ('full', 'minimum', 'amount')", name=op.f('ck_credit_repayment_mode')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_repayment')),
        sa.UniqueConstraint('idempotency_key', name=op.f('uq_credit_repayment_idempotency_key')),
    )
    op.create_index(op.f('ix_credit_repayment_openid'), 'credit_repayment', ['openid'])
    op.create_index('ix_credit_repayment_card_created', 'credit_repayment', ['card_account_id', 'created_at'])


def downgrade():
    credit = op.get_bind().scalar(sa.text(
        "SELECT count(*) FROM ledger_account WHERE kind = 'credit'"))
    if credit:
        raise RuntimeError(f"账本中有 {credit} 个信用卡账户，降级会丢失它们的账务，未执行 the ledger holds {credit} "
                           "credit card accounts: going below 0032 would lose their books; nothing was changed")
    op.drop_index('ix_credit_repayment_card_created', table_name='credit_repayment')
    op.drop_index(op.f('ix_credit_repayment_openid'), table_name='credit_repayment')
    op.drop_table('credit_repayment')
    op.drop_table('ledger_credit_card')
    _with_foreign_keys_off(lambda: _replace_checks(OLD, add_credit_rule=False))
