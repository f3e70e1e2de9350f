"""Marketing figures, for the dashboard's charts and the figures page with its CSV exports:

* follower growth by day and by source (follows through one of our QR codes by kind, and the others),
  and unfollows — from the follow events and the QR-code attribution already recorded;
* 群发: per job, followers targeted, sent, filtered (WeChat's filters, among them the 4-a-month rule) and
  failed, from WeChat's MASSSENDJOBFINISH reports (features/pushes);
* product-page views by product (H5 openings, identified or not);
* article reads (WeChat's data API, /datacube/getarticletotal) once articles are published (articles.py).

Days are the bank's local calendar days (admin/stats.py)."""

import csv
import io
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from ...admin import stats
from ...extensions import db
from ...wechat.models import FollowEvent
from ..products.service import ProductView, WealthProduct
from ..pushes.service import MassPush
from ..qrcodes.service import KINDS, QrCode, QrScan
from .models import Article, ArticleRead

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NO_CODE = "none"


def csv_text(rows: list[dict], columns: list[str]) -> str:
    """CSV with a BOM (Excel opens the Chinese); text that a spreadsheet would run as a formula is quoted off."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: ("'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value)
                         for key, value in row.items()})
    return "\ufeff" + buffer.getvalue()


@dataclass(frozen=True)
class FollowDay:
    day: date
    follows: int
    unfollows: int
    by_source: dict[str, int]  # branch / staff / campaign / none

    def as_row(self) -> dict:
        return {"date": self.day.isoformat(), "follows": self.follows, "unfollows": self.unfollows,
                **{f"via_{kind}": self.by_source.get(kind, 0) for kind in (*KINDS, NO_CODE)}}


FOLLOW_COLUMNS = ["date", "follows", "unfollows", *(f"via_{kind}" for kind in (*KINDS, NO_CODE))]


def follows_by_day(days) -> list[FollowDay]:
    events = stats.daily(FollowEvent.occurred_at, FollowEvent.kind == "subscribe", FollowEvent.kind == "unsubscribe",
                         [], days)
    per_kind = {}
    for kind in KINDS:
        per_kind[kind] = stats.daily(
            QrScan.occurred_at, QrScan.event == "subscribe", QrScan.id.is_(None),
            [QrScan.code_id.in_(select(QrCode.id).where(QrCode.kind == kind))], days)
    result = []
    for i, day in enumerate(events):
        through_codes = {kind: per_kind[kind][i].ok for kind in KINDS}
        through_codes[NO_CODE] = max(0, day.ok - sum(through_codes.values()))
        result.append(FollowDay(day.day, day.ok, day.failed, through_codes))
    return result


MASS_COLUMNS = ["id", "sent_at", "target", "product", "status", "total", "sent", "filtered", "failed"]


def mass_rows(limit: int = 200) -> list[dict]:
    """The sent 群发 jobs, latest first, with WeChat's report (empty until it came)."""
    jobs = db.session.execute(select(MassPush).where(MassPush.sent_at.is_not(None))
                              .order_by(MassPush.sent_at.desc()).limit(limit)).scalars()
    rows = []
    for job in jobs:
        total, left = job.total_count, job.filter_count
        rows.append({"id": job.id, "sent_at": job.sent_at.strftime("%Y-%m-%d %H:%M"), "target": job.target,
                     "product": job.product.name if job.product else job.content.split("\n")[0],
                     "status": job.job_status or "",
                     "total": total if total is not None else "", "sent": job.sent_count if total is not None else "",
                     "filtered": (total - left) if total is not None and left is not None else "",
                     "failed": job.error_count if total is not None else ""})
    return rows


def mass_totals(rows: list[dict]) -> tuple[int, int, int]:
    """(sent, filtered, failed) over the reported jobs."""
    return tuple(sum(row[key] for row in rows if isinstance(row[key], int)) for key in ("sent", "filtered", "failed"))


VIEW_COLUMNS = ["code", "name", "views", "identified_visitors"]


def product_views(since) -> list[dict]:
    """Openings per product since `since` (UTC), most viewed first; identified visitors counted once each."""
    rows = db.session.execute(
        select(WealthProduct.code, WealthProduct.name, func.count(ProductView.id),
               func.count(func.distinct(ProductView.openid)))
        .join(WealthProduct, WealthProduct.id == ProductView.product_id)
        .where(ProductView.viewed_at >= since)
        .group_by(WealthProduct.code, WealthProduct.name)
        .order_by(func.count(ProductView.id).desc(), WealthProduct.code)).all()
    return [{"code": code, "name": name, "views": int(views), "identified_visitors": int(people)}
            for code, name, views, people in rows]


def views_per_day(days) -> list[stats.DayCount]:
    """Product-page openings per day: by identified customers (ok) and anonymous visitors (failed column)."""
    return stats.daily(ProductView.viewed_at, ProductView.openid.is_not(None), ProductView.openid.is_(None), [], days)


READ_COLUMNS = ["article", "title", "published_at", "stat_date", "read_user", "read_count", "share_count"]


def article_reads(limit: int = 200) -> list[dict]:
    """WeChat's cumulative figures per published article and day, latest first."""
    rows = db.session.execute(
        select(Article, ArticleRead).join(ArticleRead, ArticleRead.article_id == Article.id)
        .order_by(ArticleRead.stat_date.desc(), Article.id.desc()).limit(limit)).all()
    return [{"article": article.id, "title": article.title,
             "published_at": article.published_at.strftime("%Y-%m-%d %H:%M") if article.published_at else "",
             "stat_date": read.stat_date.isoformat(), "read_user": read.read_user, "read_count": read.read_count,
             "share_count": read.share_count} for article, read in rows]
