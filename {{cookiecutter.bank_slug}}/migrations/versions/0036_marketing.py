"""marketing: segments and their 群发, consent, follow-ups, product-page views, the article library and its figures; the alert channel chosen per card

Revision ID: 0036
Revises: 0033
Create Date: 2026-12-04 18:06:34.995840

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0036'
down_revision = '0033'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('alert_channel_choice',
    sa.Column('openid', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('openid', 'account_id', name=op.f('pk_alert_channel_choice'))
    )
    op.create_table('marketing_article',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=32), nullable=False),
    sa.Column('author', sa.String(length=16), nullable=True),
    sa.Column('digest', sa.String(length=128), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('source_url', sa.String(length=512), nullable=True),
    sa.Column('thumb_media_id', sa.String(length=128), nullable=False),
    sa.Column('keyword', sa.String(length=32), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('media_id', sa.String(length=128), nullable=True),
    sa.Column('publish_id', sa.String(length=64), nullable=True),
    sa.Column('msg_data_id', sa.String(length=64), nullable=True),
    sa.Column('article_id', sa.String(length=128), nullable=True),
    sa.Column('url', sa.String(length=512), nullable=True),
    sa.Column('result', sa.String(length=300), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_marketing_article')),
    sa.UniqueConstraint('keyword', name=op.f('uq_marketing_article_keyword'))
    )
    with op.batch_alter_table('marketing_article', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_marketing_article_msg_data_id'), ['msg_data_id'], unique=False)

    op.create_table('marketing_consent',
    sa.Column('openid', sa.String(length=64), nullable=False),
    sa.Column('granted', sa.Boolean(), nullable=False),
    sa.Column('granted_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('openid', name=op.f('pk_marketing_consent'))
    )
    op.create_table('marketing_article_read',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('stat_date', sa.Date(), nullable=False),
    sa.Column('read_user', sa.Integer(), nullable=False),
    sa.Column('read_count', sa.Integer(), nullable=False),
    sa.Column('share_count', sa.Integer(), nullable=False),
    sa.Column('fetched_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['marketing_article.id'], name=op.f('fk_marketing_article_read_article_id_marketing_article')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_marketing_article_read')),
    sa.UniqueConstraint('article_id', 'stat_date', name='uq_marketing_article_read')
    )
    with op.batch_alter_table('marketing_article_read', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_marketing_article_read_article_id'), ['article_id'], unique=False)

    op.create_table('marketing_follow_up',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('openid', sa.String(length=64), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('contacted_by', sa.String(length=64), nullable=False),
    sa.Column('contacted_at', sa.DateTime(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['product_id'], ['wealth_product.id'], name=op.f('fk_marketing_follow_up_product_id_wealth_product')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_marketing_follow_up')),
    sa.UniqueConstraint('openid', 'product_id', name='uq_marketing_follow_up')
    )
    op.create_table('marketing_segment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=30), nullable=False),
    sa.Column('branch_code', sa.String(length=16), nullable=True),
    sa.Column('bound', sa.String(length=8), nullable=False),
    sa.Column('source', sa.String(length=40), nullable=True),
    sa.Column('wechat_tag_id', sa.Integer(), nullable=True),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('active_days', sa.Integer(), nullable=True),
    sa.Column('tag_id', sa.Integer(), nullable=True),
    sa.Column('synced_at', sa.DateTime(), nullable=True),
    sa.Column('synced_count', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['wealth_product.id'], name=op.f('fk_marketing_segment_product_id_wealth_product')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_marketing_segment')),
    sa.UniqueConstraint('name', name=op.f('uq_marketing_segment_name'))
    )
    op.create_table('wealth_product_view',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('openid', sa.String(length=64), nullable=True),
    sa.Column('viewed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['wealth_product.id'], name=op.f('fk_wealth_product_view_product_id_wealth_product')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wealth_product_view'))
    )
    with op.batch_alter_table('wealth_product_view', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wealth_product_view_openid'), ['openid'], unique=False)
        batch_op.create_index(batch_op.f('ix_wealth_product_view_product_id'), ['product_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_wealth_product_view_viewed_at'), ['viewed_at'], unique=False)

    op.create_table('marketing_push_audience',
    sa.Column('push_id', sa.Integer(), nullable=False),
    sa.Column('openid', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['push_id'], ['mass_push.id'], name=op.f('fk_marketing_push_audience_push_id_mass_push')),
    sa.PrimaryKeyConstraint('push_id', 'openid', name=op.f('pk_marketing_push_audience'))
    )
    with op.batch_alter_table('marketing_push_audience', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_marketing_push_audience_openid'), ['openid'], unique=False)

    op.create_table('marketing_segment_push',
    sa.Column('push_id', sa.Integer(), nullable=False),
    sa.Column('segment_id', sa.Integer(), nullable=False),
    sa.Column('members', sa.Integer(), nullable=True),
    sa.Column('excluded', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['push_id'], ['mass_push.id'], name=op.f('fk_marketing_segment_push_push_id_mass_push')),
    sa.ForeignKeyConstraint(['segment_id'], ['marketing_segment.id'], name=op.f('fk_marketing_segment_push_segment_id_marketing_segment')),
    sa.PrimaryKeyConstraint('push_id', name=op.f('pk_marketing_segment_push'))
    )
    with op.batch_alter_table('marketing_segment_push', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_marketing_segment_push_segment_id'), ['segment_id'], unique=False)
    with op.batch_alter_table('mass_push', schema=None) as batch_op:  # a 群发 of an article (mpnews)
        batch_op.add_column(sa.Column('media_id', sa.String(length=128), nullable=True))
        batch_op.alter_column('product_id', existing_type=sa.Integer(), nullable=True)


def downgrade():
    with op.batch_alter_table('mass_push', schema=None) as batch_op:
        batch_op.alter_column('product_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('media_id')
    with op.batch_alter_table('marketing_segment_push', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_marketing_segment_push_segment_id'))

    op.drop_table('marketing_segment_push')
    with op.batch_alter_table('marketing_push_audience', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_marketing_push_audience_openid'))

    op.drop_table('marketing_push_audience')
    with op.batch_alter_table('wealth_product_view', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wealth_product_view_viewed_at'))
        batch_op.drop_index(batch_op.f('ix_wealth_product_view_product_id'))
        batch_op.drop_index(batch_op.f('ix_wealth_product_view_openid'))

    op.drop_table('wealth_product_view')
    op.drop_table('marketing_segment')
    op.drop_table('marketing_follow_up')
    with op.batch_alter_table('marketing_article_read', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_marketing_article_read_article_id'))

    op.drop_table('marketing_article_read')
    op.drop_table('marketing_consent')
    with op.batch_alter_table('marketing_article', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_marketing_article_msg_data_id'))

    op.drop_table('marketing_article')
    op.drop_table('alert_channel_choice')
