"""qrcodes: parametric QR codes (qrcode_code) and the follows and scans through them (qrcode_scan)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'qrcode_code',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('scene', sa.String(length=64), nullable=False),
        sa.Column('action_name', sa.String(length=32), nullable=False),
        sa.Column('branch_id', sa.Integer(), nullable=True),
        sa.Column('staff_id', sa.Integer(), nullable=True),
        sa.Column('ticket', sa.String(length=256), nullable=False),
        sa.Column('url', sa.String(length=256), nullable=False),
        sa.Column('expire_seconds', sa.Integer(), nullable=True),
        sa.Column('expires_at', sa.DateTime(), nullable=True),
        sa.Column('created_by', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['branch_id'], ['bank_branch.id'], name=op.f('fk_qrcode_code_branch_id_bank_branch')),
        sa.ForeignKeyConstraint(['staff_id'], ['admin_staff_user.id'],
                                name=op.f('fk_qrcode_code_staff_id_admin_staff_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_qrcode_code')),
        sa.UniqueConstraint('ticket', name=op.f('uq_qrcode_code_ticket')),
    )
    op.create_index(op.f('ix_qrcode_code_scene'), 'qrcode_code', ['scene'], unique=False)
    op.create_index(op.f('ix_qrcode_code_branch_id'), 'qrcode_code', ['branch_id'], unique=False)
    op.create_table(
        'qrcode_scan',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('openid', sa.String(length=64), nullable=False),
        sa.Column('event', sa.String(length=16), nullable=False),
        sa.Column('scene', sa.String(length=64), nullable=False),
        sa.Column('code_id', sa.Integer(), nullable=True),
        sa.Column('first_touch', sa.Boolean(), nullable=False),
        sa.Column('occurred_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['code_id'], ['qrcode_code.id'], name=op.f('fk_qrcode_scan_code_id_qrcode_code')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_qrcode_scan')),
    )
    op.create_index(op.f('ix_qrcode_scan_openid'), 'qrcode_scan', ['openid'], unique=False)
    op.create_index(op.f('ix_qrcode_scan_code_id'), 'qrcode_scan', ['code_id'], unique=False)
    op.create_index(op.f('ix_qrcode_scan_occurred_at'), 'qrcode_scan', ['occurred_at'], unique=False)


def downgrade():
    op.drop_table('qrcode_scan')
    op.drop_table('qrcode_code')
