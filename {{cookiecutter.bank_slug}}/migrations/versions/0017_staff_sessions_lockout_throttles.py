"""security: staff usernames normalised and unique, revocable staff sessions, staff lock-out, single-use
captchas on the server, counted attempts for the binding and payee throttles

Revision ID: 0017
Revises: 0012
Create Date: 2026-12-03

`username_key` is filled from the existing usernames (NFKC, case-folded, zero-width and other format
characters removed, as admin/models.py:username_key). Should two existing accounts share a key (look-alikes
created before this check), the later one gets its id appended to the key (so it can still be found and
deactivated by head office) and a warning is printed.
"""
import unicodedata

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0012'
branch_labels = None
depends_on = None


def _key(text):
    value = unicodedata.normalize('NFKC', text or '')
    value = ''.join(ch for ch in value if unicodedata.category(ch) not in ('Cf', 'Cc')).strip()
    return unicodedata.normalize('NFKC', value.casefold())[:64]


def upgrade():
    with op.batch_alter_table('admin_staff_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('username_key', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('session_version', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(), nullable=True))

    connection = op.get_bind()
    staff = sa.table('admin_staff_user', sa.column('id', sa.Integer), sa.column('username', sa.String),
                     sa.column('username_key', sa.String))
    seen = set()
    for row in connection.execute(sa.select(staff.c.id, staff.c.username).order_by(staff.c.id)).all():
        key = _key(row.username)
        if key in seen:
            print(f"warning: staff user {row.id} looks like an earlier username; its key is {key}#{row.id}")
            key = f"{key[:50]}#{row.id}"
        seen.add(key)
        connection.execute(sa.update(staff).where(staff.c.id == row.id).values(username_key=key))

    with op.batch_alter_table('admin_staff_user', schema=None) as batch_op:
        batch_op.alter_column('username_key', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_admin_staff_user_username_key'), ['username_key'])

    op.create_table(
        'captcha_challenge',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('purpose', sa.String(length=32), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_captcha_challenge')),
    )
    op.create_index(op.f('ix_captcha_challenge_created_at'), 'captcha_challenge', ['created_at'], unique=False)
    op.create_table(
        'security_attempt',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('scope', sa.String(length=32), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_security_attempt')),
    )
    op.create_index(op.f('ix_security_attempt_at'), 'security_attempt', ['at'], unique=False)
    op.create_index('ix_security_attempt_scope_key_at', 'security_attempt', ['scope', 'key', 'at'], unique=False)


def downgrade():
    op.drop_index('ix_security_attempt_scope_key_at', table_name='security_attempt')
    op.drop_index(op.f('ix_security_attempt_at'), table_name='security_attempt')
    op.drop_table('security_attempt')
    op.drop_index(op.f('ix_captcha_challenge_created_at'), table_name='captcha_challenge')
    op.drop_table('captcha_challenge')
    with op.batch_alter_table('admin_staff_user', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_admin_staff_user_username_key'), type_='unique')
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_logins')
        batch_op.drop_column('session_version')
        batch_op.drop_column('username_key')
