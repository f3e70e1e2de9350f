"""transfer safety: arrival options (实时/普通/次日到账) with the ledger's held transfers, revocation, new payees,
fraud review

Ledger: the hold account's kind (suspense), the held / release / revocation entry kinds and the held status in
the CHECK constraints; the ledger_hold table; the hold account H0000001 where the ledger is in use (its capital
account exists). Transfers: the order's arrival, release time, new-payee warning and review columns; the
customer's default arrival.

Revision ID: 0034
Revises: 0032
Create Date: 2026-12-04
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0034'
down_revision = '0032'
branch_labels = None
depends_on = None

OLD_CHECKS = (  # as 0032 (credit cards) left them
    ('ledger_account', 'kind', "kind IN ('customer', 'settlement', 'capital', 'credit')"),
    ('ledger_journal_entry', 'kind', "kind IN ('transfer', 'interbank_transfer', 'opening_deposit', "
                                     "'card_purchase', 'credit_repayment')"),
    ('ledger_journal_entry', 'status', "status IN ('posted', 'pending_settlement')"),
)
NEW_CHECKS = (
    ('ledger_account', 'kind', "kind IN ('customer', 'settlement', 'capital', 'credit', 'suspense')"),
    ('ledger_journal_entry', 'kind', "kind IN ('transfer', 'interbank_transfer', 'opening_deposit', "
                                     "'card_purchase', 'credit_repayment', 'held_transfer', 'hold_release', "
                                     "'hold_revocation')"),
    ('ledger_journal_entry', 'status', "status IN ('posted', 'pending_settlement', 'held')"),
)
HOLD_ACCOUNT_ID = 'H0000001'
CAPITAL_ACCOUNT_ID = 'C0000001'


def _sqlite_foreign_keys(on):
    """SQLite changes a CHECK by copying the table, which its foreign keys refuse while rows point at it."""
    with op.get_context().autocommit_block():
        op.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def _replace_checks(checks):
    connection = op.get_bind()
    sqlite = connection.dialect.name == 'sqlite'
    if sqlite:
        _sqlite_foreign_keys(on=False)
    try:
        for table in ('ledger_account', 'ledger_journal_entry'):
            present = {check['name'] for check in sa.inspect(connection).get_check_constraints(table)}
            with op.batch_alter_table(table, schema=None) as batch_op:
                for owner, name, condition in checks:
                    if owner != table:
                        continue
                    if f'ck_{table}_{name}' in present:
                        batch_op.drop_constraint(op.f(f'ck_{table}_{name}'), type_='check')
                    batch_op.create_check_constraint(op.f(f'ck_{table}_{name}'), condition)
        if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first() is not None:
            raise RuntimeError("a foreign key broke while the ledger tables were copied; run `flask ledger check`")
    finally:
        if sqlite:
            _sqlite_foreign_keys(on=True)


def upgrade():
    _replace_checks(NEW_CHECKS)
    op.create_table(
        'ledger_hold',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('idempotency_key', sa.String(length=128), nullable=False),
        sa.Column('entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('payer_account_id', sa.String(length=16), nullable=False),
        sa.Column('payee_account_id', sa.String(length=16), nullable=False),
        sa.Column('payee_name', sa.String(length=64), nullable=False),
        sa.Column('payee_number', sa.String(length=34), nullable=False),
        sa.Column('memo', sa.String(length=140), nullable=False),
        sa.Column('amount_fen', sa.BigInteger(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('final_entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.CheckConstraint("status IN ('held', 'released', 'revoked')", name=op.f('ck_ledger_hold_status')),
        sa.CheckConstraint('amount_fen > 0', name=op.f('ck_ledger_hold_amount_positive')),
        sa.ForeignKeyConstraint(['entry_id'], ['ledger_journal_entry.id'],
                                name=op.f('fk_ledger_hold_entry_id_ledger_journal_entry')),
        sa.ForeignKeyConstraint(['final_entry_id'], ['ledger_journal_entry.id'],
                                name=op.f('fk_ledger_hold_final_entry_id_ledger_journal_entry')),
        sa.ForeignKeyConstraint(['payer_account_id'], ['ledger_account.account_id'],
                                name=op.f('fk_ledger_hold_payer_account_id_ledger_account')),
        sa.ForeignKeyConstraint(['payee_account_id'], ['ledger_account.account_id'],
                                name=op.f('fk_ledger_hold_payee_account_id_ledger_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_hold')),
        sa.UniqueConstraint('idempotency_key', name=op.f('uq_ledger_hold_idempotency_key')),
    )
    connection = op.get_bind()
    if connection.scalar(sa.text("SELECT count(*) FROM ledger_account WHERE account_id = :id"),
                         {'id': CAPITAL_ACCOUNT_ID}) and not connection.scalar(
            sa.text("SELECT count(*) FROM ledger_account WHERE account_id = :id"), {'id': HOLD_ACCOUNT_ID}):
        connection.execute(sa.text(
            "INSERT INTO ledger_account (account_id, label, kind, status, currency, balance_fen, opened_at) "
            "VALUES (:id, :label, 'suspense', 'active', 'CNY', 0, :now)"),
            {'id': HOLD_ACCOUNT_ID, 'label': '延时到账暂挂户',
             'now': datetime.now(timezone.utc).replace(tzinfo=None)})

    with op.batch_alter_table('transfer_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('arrival', sa.String(length=16), server_default='realtime', nullable=False))
        batch_op.add_column(sa.Column('release_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('new_payee', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('warning_acknowledged_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('review_rules', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('reviewed_by', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('reviewed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('review_note', sa.String(length=200), nullable=True))
    op.create_index('ix_transfer_order_status_release', 'transfer_order', ['status', 'release_at'])
    op.create_index('ix_transfer_order_openid_payee', 'transfer_order', ['openid', 'payee_number'])
    op.create_table(
        'transfer_preference',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('openid', sa.String(length=64), nullable=False),
        sa.Column('default_arrival', sa.String(length=16), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_transfer_preference')),
        sa.UniqueConstraint('openid', name=op.f('uq_transfer_preference_openid')),
    )


def downgrade():
    connection = op.get_bind()
    if connection.scalar(sa.text("SELECT count(*) FROM ledger_hold")) or connection.scalar(sa.text(
            "SELECT count(*) FROM ledger_journal_entry WHERE kind IN "
            "('held_transfer', 'hold_release', 'hold_revocation')")):
        raise RuntimeError("the ledger holds or held delayed transfers; a downgrade would lose them")
    op.drop_table('transfer_preference')
    op.drop_index('ix_transfer_order_openid_payee', table_name='transfer_order')
    op.drop_index('ix_transfer_order_status_release', table_name='transfer_order')
    with op.batch_alter_table('transfer_order', schema=None) as batch_op:
        for name in ('review_note', 'reviewed_at', 'reviewed_by', 'review_rules', 'warning_acknowledged_at',
                     'new_payee', 'release_at', 'arrival'):
            batch_op.drop_column(name)
    connection.execute(sa.text("DELETE FROM ledger_account WHERE account_id = :id"), {'id': HOLD_ACCOUNT_ID})
    op.drop_table('ledger_hold')
    _replace_checks(OLD_CHECKS)
