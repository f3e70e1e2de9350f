"""wealth products

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('wealth_product',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('risk_grade', sa.String(length=2), nullable=False),
    sa.Column('yield_min_bp', sa.Integer(), nullable=False),
    sa.Column('yield_max_bp', sa.Integer(), nullable=False),
    sa.Column('term_days', sa.Integer(), nullable=False),
    sa.Column('min_purchase_fen', sa.BigInteger(), nullable=False),
    sa.Column('sale_start', sa.Date(), nullable=False),
    sa.Column('sale_end', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("risk_grade IN ('R1', 'R2', 'R3', 'R4', 'R5')", name=op.f('ck_wealth_product_risk_grade')),
    sa.CheckConstraint("status IN ('draft', 'on_sale', 'closed')", name=op.f('ck_wealth_product_status')),
    sa.CheckConstraint('min_purchase_fen BETWEEN 100 AND 100000000000', name=op.f('ck_wealth_product_min_purchase')),
    sa.CheckConstraint('sale_start <= sale_end', name=op.f('ck_wealth_product_sale_window')),
    sa.CheckConstraint('term_days BETWEEN 1 AND 3650', name=op.f('ck_wealth_product_term_days')),
    sa.CheckConstraint('yield_min_bp >= 0 AND yield_max_bp <= 2000 AND yield_min_bp <= yield_max_bp', name=op.f('ck_wealth_product_yield_range')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wealth_product')),
    sa.UniqueConstraint('code', name=op.f('uq_wealth_product_code'))
    )
    with op.batch_alter_table('wealth_product', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wealth_product_status'), ['status'], unique=False)


def downgrade():
    with op.batch_alter_table('wealth_product', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wealth_product_status'))

    op.drop_table('wealth_product')
