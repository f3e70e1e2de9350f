"""content admin: keyword replies, custom menu versions, mass pushes, staff openid

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('keyword_reply',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('keyword', sa.String(length=32), nullable=False),
    sa.Column('match', sa.String(length=16), nullable=False),
    sa.Column('reply_text', sa.String(length=600), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_keyword_reply')),
    sa.UniqueConstraint('keyword', name=op.f('uq_keyword_reply_keyword'))
    )
    op.create_table('wechat_menu_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('menu_json', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=True),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.Column('publish_result', sa.String(length=300), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wechat_menu_version'))
    )
    op.create_table('mass_push',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('target', sa.String(length=32), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('preview_openid', sa.String(length=64), nullable=True),
    sa.Column('previewed_at', sa.DateTime(), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('msg_id', sa.String(length=32), nullable=True),
    sa.Column('result', sa.String(length=300), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['wealth_product.id'],
                            name=op.f('fk_mass_push_product_id_wealth_product')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mass_push'))
    )
    with op.batch_alter_table('mass_push', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mass_push_product_id'), ['product_id'], unique=False)

    with op.batch_alter_table('admin_staff_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('openid', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('admin_staff_user', schema=None) as batch_op:
        batch_op.drop_column('openid')

    with op.batch_alter_table('mass_push', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mass_push_product_id'))

    op.drop_table('mass_push')
    op.drop_table('wechat_menu_version')
    op.drop_table('keyword_reply')
