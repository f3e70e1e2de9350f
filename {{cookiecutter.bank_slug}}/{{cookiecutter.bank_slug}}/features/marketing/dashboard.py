"""The dashboard's marketing panels: new followers per day (through our QR codes / otherwise), product-page
views, and for head office the 群发 of the last jobs (sent / filtered / failed, WeChat's reports); a branch
operator sees the follow-up list's size for their branch."""

from ...admin import stats
from ...shared.i18n import _
from . import figures
from .interest import follow_up_list

RECENT_JOBS = 30


def panels(branch_code: str | None, days) -> list:
    found = []
    if branch_code is None:
        per_day = figures.follows_by_day(days)
        through = [stats.DayCount(d.day, sum(v for k, v in d.by_source.items() if k != figures.NO_CODE),
                                  d.by_source[figures.NO_CODE]) for d in per_day]
        found.append(stats.DailyChart(_("近 %(n)d 天每日新增关注", n=len(days)), _("经本行二维码"), _("其他来源"),
                                      _("经二维码关注"), _("其他关注"), "#17a2b8", "#6c757d", "follows-chart", through))
        sent, filtered, failed = figures.mass_totals(figures.mass_rows(RECENT_JOBS))
        found.append(stats.Stat(_("最近 %(n)d 次群发 送达 / 被过滤 / 失败", n=RECENT_JOBS),
                                (stats.Figure(sent, "mass-sent", "text-success"),
                                 stats.Figure(filtered, "mass-filtered"),
                                 stats.Figure(failed, "mass-failed", "text-danger")),
                                _("微信 MASSSENDJOBFINISH 报告；被过滤含本月已收满 4 条的关注用户")))
    views = figures.views_per_day(days)
    found.append(stats.DailyChart(_("近 %(n)d 天每日产品页浏览", n=len(days)), _("已识别客户"), _("匿名访客"),
                                  _("产品页浏览（客户）"), _("产品页浏览（匿名）"), "#007bff", "#adb5bd",
                                  "product-views-chart", views))
    if branch_code is not None:
        waiting = [row for row in follow_up_list(branch_code) if row.follow_up is None]
        found.append(stats.Stat(_("意向客户待跟进"), (stats.Figure(len(waiting), "followups-waiting"),),
                                _("近 30 天打开同一产品页 2 次、同意营销联系的本网点客户")))
    return found
