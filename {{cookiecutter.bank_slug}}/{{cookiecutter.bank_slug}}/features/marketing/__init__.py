"""Marketing with its figures: segments (人群) for 群发 synced to WeChat tags within the 4-a-month rule,
customers' consent to marketing contact and the branch follow-up list of product interest, the staff
library of news articles (WeChat's draft box and publishing, keyword replies, read figures), and the
figures on the dashboard and as CSV."""

from ...feature import Feature, HallTile
from ...shared.i18n import _l

feature = Feature(
    name="marketing",
    package=__name__,
    models=(".models",),
    chat=(".chat",),
    h5=(".h5",),
    hall=(HallTile("marketing/consent", _l("营销联系授权"), _l("同意或撤回网点就理财产品与您联系"), _l("约")),),
    admin=(".admin",),
    dashboard=(".dashboard",),
    cli=(".cli:marketing",),
    setup=(".sending:install",),
)
