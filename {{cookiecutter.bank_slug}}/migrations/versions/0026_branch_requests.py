"""requests routed to a branch: loan applications and card-opening appointments (requests, their events,
loan products, appointment slots with per-day counters, closed days)

Revision ID: 0026
Revises: 0027
Create Date: 2026-12-03 23:03:19.824839

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0026'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('appointment_closed_day',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('branch_code', sa.String(length=16), nullable=True),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=60), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointment_closed_day')),
    sa.UniqueConstraint('branch_code', 'day', name='uq_appointment_closed_day')
    )
    op.create_table('appointment_slot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('branch_code', sa.String(length=16), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('starts', sa.String(length=5), nullable=False),
    sa.Column('ends', sa.String(length=5), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointment_slot'))
    )
    with op.batch_alter_table('appointment_slot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appointment_slot_branch_code'), ['branch_code'], unique=False)

    op.create_table('request_product',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('min_fen', sa.BigInteger(), nullable=False),
    sa.Column('max_fen', sa.BigInteger(), nullable=False),
    sa.Column('max_term_months', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_product'))
    )
    op.create_table('appointment_slot_day',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slot_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('booked', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['slot_id'], ['appointment_slot.id'], name=op.f('fk_appointment_slot_day_slot_id_appointment_slot')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointment_slot_day')),
    sa.UniqueConstraint('slot_id', 'day', name='uq_appointment_slot_day')
    )
    op.create_table('branch_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('reference', sa.String(length=24), nullable=True),
    sa.Column('openid', sa.String(length=64), nullable=False),
    sa.Column('open_key', sa.String(length=96), nullable=True),
    sa.Column('binding_id', sa.Integer(), nullable=True),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('customer_masked', sa.String(length=64), nullable=False),
    sa.Column('phone_masked', sa.String(length=20), nullable=False),
    sa.Column('branch_code', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('amount_fen', sa.BigInteger(), nullable=True),
    sa.Column('term_months', sa.Integer(), nullable=True),
    sa.Column('purpose', sa.String(length=100), nullable=True),
    sa.Column('contact_time', sa.String(length=40), nullable=True),
    sa.Column('consent', sa.Boolean(), nullable=False),
    sa.Column('slot_id', sa.Integer(), nullable=True),
    sa.Column('day', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['request_product.id'], name=op.f('fk_branch_request_product_id_request_product')),
    sa.ForeignKeyConstraint(['slot_id'], ['appointment_slot.id'], name=op.f('fk_branch_request_slot_id_appointment_slot')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_branch_request')),
    sa.UniqueConstraint('open_key', name='uq_branch_request_open'),
    sa.UniqueConstraint('reference', name=op.f('uq_branch_request_reference'))
    )
    with op.batch_alter_table('branch_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_branch_request_branch_code'), ['branch_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_branch_request_day'), ['day'], unique=False)
        batch_op.create_index(batch_op.f('ix_branch_request_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_branch_request_openid'), ['openid'], unique=False)

    op.create_table('branch_request_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['branch_request.id'], name=op.f('fk_branch_request_event_request_id_branch_request')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_branch_request_event'))
    )
    with op.batch_alter_table('branch_request_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_branch_request_event_request_id'), ['request_id'], unique=False)



def downgrade():
    with op.batch_alter_table('branch_request_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_branch_request_event_request_id'))

    op.drop_table('branch_request_event')
    with op.batch_alter_table('branch_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_branch_request_openid'))
        batch_op.drop_index(batch_op.f('ix_branch_request_kind'))
        batch_op.drop_index(batch_op.f('ix_branch_request_day'))
        batch_op.drop_index(batch_op.f('ix_branch_request_branch_code'))

    op.drop_table('branch_request')
    op.drop_table('appointment_slot_day')
    op.drop_table('request_product')
    with op.batch_alter_table('appointment_slot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appointment_slot_branch_code'))

    op.drop_table('appointment_slot')
    op.drop_table('appointment_closed_day')
