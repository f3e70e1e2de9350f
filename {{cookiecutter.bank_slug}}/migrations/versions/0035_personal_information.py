"""personal information: separate consents, the record of cancellations; card, phone and ID numbers and names
encrypted at rest (existing rows encrypted here with the app's keys), looked up by keyed hashes; the held
transfers' payees (0034) too, and transfer orders find a payee paid before by its keyed hash

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-04
"""
import re

from alembic import op
from flask import current_app
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0035'
down_revision = '0034'
branch_labels = None
depends_on = None


# (table, primary key, encrypted columns, old type of each) -- what this revision encrypts
ENCRYPTED = (
    ('bank_customer', 'id', {'name': sa.String(64), 'id_number': sa.String(32), 'phone': sa.String(20)}),
    ('ledger_account', 'account_id', {'card_number': sa.String(19)}),
    ('ledger_posting', 'id', {'counterparty_name': sa.String(64), 'counterparty_account': sa.String(34)}),
    ('card_binding', 'id', {'sms_phone': sa.String(20)}),
    ('card_binding_challenge', 'id', {'phone': sa.String(20)}),
    ('transfer_order', 'id', {'payee_number': sa.String(32), 'payee_name': sa.String(64)}),
    ('ledger_hold', 'id', {'payee_name': sa.String(64), 'payee_number': sa.String(34)}),
)
NULLABLE = {('bank_customer', 'name'): False, ('bank_customer', 'id_number'): False,
            ('bank_customer', 'phone'): False, ('ledger_account', 'card_number'): True,
            ('ledger_posting', 'counterparty_name'): False, ('ledger_posting', 'counterparty_account'): False,
            ('card_binding', 'sms_phone'): True, ('card_binding_challenge', 'phone'): False,
            ('transfer_order', 'payee_number'): False, ('transfer_order', 'payee_name'): False,
            ('ledger_hold', 'payee_name'): False, ('ledger_hold', 'payee_number'): False}
BATCH = 500


def _keyring():
    return current_app.extensions['fieldcrypt']


def _digits(value):
    return re.sub(r'[\s\-]+', '', value or '')


def _derived(keyring, table, clear):
    """The lookup and search columns that go with a row's clear values."""
    if table == 'bank_customer':
        return {'id_number_hash': keyring.lookup_hash('id_number', ''.join(clear['id_number'].split()).upper())}
    if table == 'ledger_account':
        card = clear['card_number']
        if not card:
            return {'card_number_hash': None, 'card_tail': None}
        digits = _digits(card)
        key = digits if digits.isascii() and digits.isdigit() else card.strip()
        return {'card_number_hash': keyring.lookup_hash('card', key), 'card_tail': digits[-4:]}
    if table == 'transfer_order':
        payee = clear['payee_number'] or ''
        digits = _digits(payee)
        key = digits if digits.isascii() and digits.isdigit() else payee.strip()
        return {'payee_tail': ''.join(ch for ch in payee if ch.isdigit())[-4:],
                'payee_hash': keyring.lookup_hash('card', key)}
    return {}


def _rewrite(encrypt):
    """Every row of every table above, in batches: encrypt (upgrade) or decrypt (downgrade) each value."""
    keyring = _keyring()
    connection = op.get_bind()
    for table_name, pk, columns in ENCRYPTED:
        names = list(columns)
        extra = {'bank_customer': ['id_number_hash'], 'ledger_account': ['card_number_hash', 'card_tail'],
                 'transfer_order': ['payee_tail', 'payee_hash']}.get(table_name, []) if encrypt else []
        table = sa.table(table_name, sa.column(pk), *(sa.column(name, sa.Text()) for name in names + extra))
        last = None
        while True:
            query = sa.select(table.c[pk], *(table.c[name] for name in names)).order_by(table.c[pk]).limit(BATCH)
            if last is not None:
                query = query.where(table.c[pk] > last)
            rows = connection.execute(query).all()
            if not rows:
                break
            for row in rows:
                last = row[0]
                values, clear = {}, {}
                for index, name in enumerate(names, start=1):
                    value = row[index]
                    is_token = isinstance(value, str) and value.startswith('pfi1$')
                    clear[name] = keyring.decrypt(value) if is_token else value
                    if value in (None, ''):
                        continue
                    if encrypt and not is_token:
                        values[name] = keyring.encrypt(value)
                    elif not encrypt and is_token:
                        values[name] = clear[name]
                if encrypt:
                    values.update(_derived(keyring, table_name, clear))
                if values:
                    connection.execute(table.update().where(table.c[pk] == row[0]).values(**values))


def _defer_foreign_keys():
    """SQLite recreates a table to change a column (batch mode), and dropping the old copy of bank_customer would
    trip ledger_account's foreign key: the keys are switched off (outside a transaction) or deferred to the
    COMMIT (inside one), and checked by _check_foreign_keys once the tables are back."""
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('PRAGMA foreign_keys=OFF')
        op.execute('PRAGMA defer_foreign_keys=ON')


def _check_foreign_keys():
    if op.get_bind().dialect.name == 'sqlite':
        broken = op.get_bind().exec_driver_sql('PRAGMA foreign_key_check').fetchall()
        if broken:
            raise RuntimeError(f'foreign keys broken after the migration: {broken[:5]}')
        op.execute('PRAGMA foreign_keys=ON')


def upgrade():
    _defer_foreign_keys()
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

    # encryption at rest: the columns become text (ciphertexts are longer), the lookups move to keyed hashes
    with op.batch_alter_table('bank_customer', schema=None) as batch_op:
        batch_op.drop_constraint('uq_bank_customer_id_number', type_='unique')
        batch_op.add_column(sa.Column('id_number_hash', sa.String(length=64), nullable=True))
    with op.batch_alter_table('ledger_account', schema=None) as batch_op:
        batch_op.drop_constraint('uq_ledger_account_card_number', type_='unique')
        batch_op.add_column(sa.Column('card_number_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('card_tail', sa.String(length=4), nullable=True))
    op.drop_index('ix_transfer_order_openid_payee', table_name='transfer_order')  # 0034's, on the clear number
    with op.batch_alter_table('transfer_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payee_tail', sa.String(length=4), server_default='', nullable=False))
        batch_op.add_column(sa.Column('payee_hash', sa.String(length=64), nullable=True))
    for table_name, _pk, columns in ENCRYPTED:
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            for name, old in columns.items():
                batch_op.alter_column(name, existing_type=old, type_=sa.Text(),
                                      existing_nullable=NULLABLE[(table_name, name)])
    _rewrite(encrypt=True)
    with op.batch_alter_table('bank_customer', schema=None) as batch_op:
        batch_op.alter_column('id_number_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(op.f('uq_bank_customer_id_number_hash'), ['id_number_hash'])
    with op.batch_alter_table('ledger_account', schema=None) as batch_op:
        batch_op.create_unique_constraint(op.f('uq_ledger_account_card_number_hash'), ['card_number_hash'])
    op.create_index('ix_transfer_order_openid_payee_hash', 'transfer_order', ['openid', 'payee_hash'])
    _check_foreign_keys()


def downgrade():
    _defer_foreign_keys()
    _rewrite(encrypt=False)  # back to clear text: needs every key the ciphertexts name
    for table_name, _pk, columns in ENCRYPTED:
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            for name, old in columns.items():
                batch_op.alter_column(name, existing_type=sa.Text(), type_=old,
                                      existing_nullable=NULLABLE[(table_name, name)])
    op.drop_index('ix_transfer_order_openid_payee_hash', table_name='transfer_order')
    with op.batch_alter_table('transfer_order', schema=None) as batch_op:
        batch_op.drop_column('payee_hash')
        batch_op.drop_column('payee_tail')
    op.create_index('ix_transfer_order_openid_payee', 'transfer_order', ['openid', 'payee_number'])
    with op.batch_alter_table('ledger_account', schema=None) as batch_op:
        batch_op.drop_constraint('uq_ledger_account_card_number_hash', type_='unique')
        batch_op.drop_column('card_tail')
        batch_op.drop_column('card_number_hash')
        batch_op.create_unique_constraint('uq_ledger_account_card_number', ['card_number'])
    with op.batch_alter_table('bank_customer', schema=None) as batch_op:
        batch_op.drop_constraint('uq_bank_customer_id_number_hash', type_='unique')
        batch_op.drop_column('id_number_hash')
        batch_op.create_unique_constraint('uq_bank_customer_id_number', ['id_number'])
    _check_foreign_keys()
    op.drop_table('privacy_erasure')
    op.drop_table('privacy_consent')
