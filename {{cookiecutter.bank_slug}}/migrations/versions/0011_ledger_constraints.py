"""ledger: its rules enforced by the database (CHECK constraints; on PostgreSQL, balanced entries by trigger)

Every database: a posting's amount is never 0 and its kind is a port.Transaction kind; a journal entry's
kind and status are known and its amount is positive; an account's kind and status are known and a
customer account's balance is never negative.

PostgreSQL also refuses, at COMMIT, a journal entry that does not have at least two postings summing to 0:
a constraint trigger, DEFERRABLE INITIALLY DEFERRED, on ledger_posting (insert, update, delete) and on
ledger_journal_entry (insert, update), so an entry may be written posting by posting inside one transaction.

SQLite cannot defer a trigger, and a row trigger there would refuse the first leg of every entry, so it
gets no balance trigger: the ledger writes an entry and all its postings in one transaction after checking
in Python that they sum to 0 (posting.append_entry), no code path updates or deletes a posting, and
`flask ledger check` remains the audit of every rule that spans rows or tables, on both databases.

Existing rows are checked first: when some break a rule the upgrade stops, naming the rule, before
changing anything; run `flask ledger check` to see the offending entries and accounts.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

POSTING_KINDS = "'transfer_in', 'transfer_out', 'deposit', 'withdrawal', 'fee', 'interest', 'other'"
ENTRY_KINDS = "'transfer', 'interbank_transfer', 'opening_deposit'"
ENTRY_STATUSES = "'posted', 'pending_settlement'"
ACCOUNT_KINDS = "'customer', 'settlement', 'capital'"
ACCOUNT_STATUSES = "'active', 'frozen', 'closed'"

# (table, constraint name, condition every row must meet), in the models' order
CHECKS = (
    ('ledger_account', 'kind', f"kind IN ({ACCOUNT_KINDS})"),
    ('ledger_account', 'status', f"status IN ({ACCOUNT_STATUSES})"),
    ('ledger_account', 'customer_not_negative', "kind <> 'customer' OR balance_fen >= 0"),
    ('ledger_journal_entry', 'kind', f"kind IN ({ENTRY_KINDS})"),
    ('ledger_journal_entry', 'status', f"status IN ({ENTRY_STATUSES})"),
    ('ledger_journal_entry', 'amount_positive', "amount_fen > 0"),
    ('ledger_posting', 'amount_nonzero', "amount_fen <> 0"),
    ('ledger_posting', 'kind', f"kind IN ({POSTING_KINDS})"),
)
TABLES = ('ledger_account', 'ledger_journal_entry', 'ledger_posting')

UNBALANCED_ENTRIES = """
SELECT count(*) FROM ledger_journal_entry AS entry
WHERE (SELECT count(*) FROM ledger_posting WHERE entry_id = entry.id) < 2
   OR (SELECT coalesce(sum(amount_fen), 0) FROM ledger_posting WHERE entry_id = entry.id) <> 0
"""

BALANCE_FUNCTIONS = ("""
CREATE FUNCTION ledger_assert_entry_balanced(entry bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    legs bigint;
    total numeric;
BEGIN
    IF entry IS NULL OR NOT EXISTS (SELECT 1 FROM ledger_journal_entry WHERE id = entry) THEN
        RETURN;  -- the entry went with its postings in this transaction
    END IF;
    SELECT count(*), coalesce(sum(amount_fen), 0) INTO legs, total FROM ledger_posting WHERE entry_id = entry;
    IF legs < 2 OR total <> 0 THEN
        RAISE EXCEPTION 'ledger entry % is not balanced: % postings summing to % fen', entry, legs, total
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_entry_balanced',
                  HINT = 'A journal entry needs at least two postings that sum to 0.';
    END IF;
END
$$
""", """
CREATE FUNCTION ledger_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'ledger_journal_entry' THEN
        PERFORM ledger_assert_entry_balanced(NEW.id);
        RETURN NULL;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM ledger_assert_entry_balanced(NEW.entry_id);
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM ledger_assert_entry_balanced(OLD.entry_id);
    END IF;
    RETURN NULL;
END
$$
""", """
CREATE CONSTRAINT TRIGGER ledger_posting_entry_balanced
    AFTER INSERT OR UPDATE OR DELETE ON ledger_posting
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_entry_balanced()
""", """
CREATE CONSTRAINT TRIGGER ledger_journal_entry_balanced
    AFTER INSERT OR UPDATE ON ledger_journal_entry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_entry_balanced()
""")

DROP_BALANCE_FUNCTIONS = (
    "DROP TRIGGER IF EXISTS ledger_journal_entry_balanced ON ledger_journal_entry",
    "DROP TRIGGER IF EXISTS ledger_posting_entry_balanced ON ledger_posting",
    "DROP FUNCTION IF EXISTS ledger_entry_balanced()",
    "DROP FUNCTION IF EXISTS ledger_assert_entry_balanced(bigint)",
)


def _refuse_rows_that_break_a_rule(connection, postgresql):
    broken = [f"{table}: {condition} ({count} rows)" for table, _, condition in CHECKS
              if (count := connection.scalar(sa.text(f"SELECT count(*) FROM {table} WHERE NOT ({condition})")))]
    if postgresql and (count := connection.scalar(sa.text(UNBALANCED_ENTRIES))):
        broken.append(f"ledger_journal_entry: at least two postings summing to 0 ({count} entries)")
    if broken:
        raise RuntimeError("账本现有数据违反规则，迁移未执行；请运行 `flask ledger check` 查看并修正 "
                           "existing ledger rows break a rule, nothing was changed; run `flask ledger check` "
                           "to see them, correct them, then upgrade again: " + "; ".join(broken))


def _sqlite_foreign_keys(on):
    """SQLite adds a CHECK by copying the table and dropping the old one, which its foreign keys refuse while
    postings point at it; the switch only works outside a transaction, hence the autocommit blocks."""
    with op.get_context().autocommit_block():
        op.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def _add_checks(connection):
    for table in TABLES:
        present = {check['name'] for check in sa.inspect(connection).get_check_constraints(table)}
        missing = [(name, condition) for owner, name, condition in CHECKS
                   if owner == table and f'ck_{table}_{name}' not in present]  # a rerun after a later failure
        if missing:
            with op.batch_alter_table(table, schema=None) as batch_op:
                for name, condition in missing:
                    batch_op.create_check_constraint(op.f(f'ck_{table}_{name}'), condition)


def upgrade():
    connection = op.get_bind()
    postgresql = connection.dialect.name == 'postgresql'
    _refuse_rows_that_break_a_rule(connection, postgresql)
    if postgresql:
        _add_checks(connection)
        for statement in BALANCE_FUNCTIONS:
            op.execute(statement)
        return
    _sqlite_foreign_keys(on=False)
    try:
        _add_checks(connection)
        if connection.exec_driver_sql("PRAGMA foreign_key_check").first() is not None:
            raise RuntimeError("a foreign key broke while the ledger tables were copied; run `flask ledger check`")
    finally:
        _sqlite_foreign_keys(on=True)


def downgrade():
    connection = op.get_bind()
    if connection.dialect.name == 'postgresql':
        for statement in DROP_BALANCE_FUNCTIONS:
            op.execute(statement)
    else:
        _sqlite_foreign_keys(on=False)
    try:
        for table in reversed(TABLES):
            with op.batch_alter_table(table, schema=None) as batch_op:
                for _, name, _ in reversed([check for check in CHECKS if check[0] == table]):
                    batch_op.drop_constraint(op.f(f'ck_{table}_{name}'), type_='check')
    finally:
        if connection.dialect.name != 'postgresql':
            _sqlite_foreign_keys(on=True)
