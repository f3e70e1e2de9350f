"""The article library through the mock WeChat API: an article is saved here, put in WeChat's draft box
(draft/add, then draft/update after a change), previewed, and published (freepublish/submit, outcome from
freepublish/get); only what the preview showed is published; a cover that is not a permanent image is
WeChat's 40007, shown to staff; a published article answers its keyword with a news reply; WeChat's
article figures (datacube/getarticletotal) are fetched into the figures page and its CSV."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.marketing.models import Article, ArticleRead
from {{ cookiecutter.bank_slug }}.sandbox.mock_api.marketing_state import SANDBOX_COVER_MEDIA_ID
from {{ cookiecutter.bank_slug }}.sandbox.wechat_push import text_message
from {{ cookiecutter.bank_slug }}.shared.timeutil import utcnow

from ...admin.conftest import csrf_of, logged_in
from ...helpers import next_msg_id, push, reply_field
from ...live_sandbox import live_sandbox

PAGE = "/admin/marketing_articles/"
DIGEST = re.compile(r'name="previewed" value="([0-9a-f]+)"')
FORM = {"title": "春耕备耕贷款上线", "author": "青山农商", "digest": "为种植户提供最高 30 万元的信用贷款",
        "body": "春耕在即。\n\n本行推出春耕备耕贷款，<b>随借随还</b>。", "source_url": "", "keyword": "春耕贷",
        "thumb_media_id": SANDBOX_COVER_MEDIA_ID}


@pytest.fixture
def live(panel):
    with live_sandbox(panel.app) as sandbox:
        yield sandbox


def save(client, **fields):
    return client.post(PAGE + "save/", data={"csrf_token": csrf_of(client, PAGE), **FORM, **fields})


def article(app) -> Article:
    with app.app_context():
        found = db.session.execute(select(Article).order_by(Article.id.desc())).scalars().first()
        db.session.expunge_all()
        return found


def act(client, path, article_id, **data):
    return client.post(PAGE + path, data={"csrf_token": csrf_of(client, PAGE), "id": article_id, **data})


def previewed(client, article_id) -> str:
    page = client.get(PAGE + f"preview/?id={article_id}").get_data(as_text=True)
    assert "&lt;b&gt;随借随还&lt;/b&gt;" in page  # the body is text: escaped, never markup
    return DIGEST.search(page).group(1)


def test_draft_preview_publish_and_the_keyword_reply(panel, live, pusher):
    app = panel.app
    head = logged_in(app, "hq_admin")
    assert save(head).status_code == 303
    saved = article(app)
    assert saved.status == "draft"
    assert live.state.records_since(0, "draft") == []  # nothing reaches WeChat before staff ask for it
    assert act(head, "wechat-draft/", saved.id).status_code == 303
    [draft] = live.state.records_since(0, "draft")
    item = draft.payload["articles"][0]
    assert item["content"] == "<p>春耕在即。</p><p>本行推出春耕备耕贷款，&lt;b&gt;随借随还&lt;/b&gt;。</p>"
    assert article(app).status == "saved" and article(app).media_id == draft.extra["media_id"]

    digest = previewed(head, saved.id)
    assert save(head, id=saved.id, title="春耕备耕贷款上线啦").status_code == 303  # changed after the preview
    assert article(app).status == "draft"
    act(head, "wechat-draft/", saved.id)
    assert live.state.records_since(0, "draft")[-1].extra.get("update") is True  # draft/update, same media_id
    act(head, "publish/", saved.id, previewed=digest)  # the old preview: refused
    assert article(app).status == "saved" and live.state.records_since(0, "publish") == []

    act(head, "publish/", saved.id, previewed=previewed(head, saved.id))
    done = article(app)
    assert done.status == "published" and done.url.startswith("https://mp.weixin.qq.com/s/")
    assert done.media_id is None and live.state.marketing.drafts == {}  # published drafts leave the box

    with app.app_context():
        client = app.test_client()
        _, reply = push(client, pusher, text_message("oReader00000000000000000001", " 春耕贷 ", next_msg_id()))
    assert reply_field(reply, "MsgType") == "news"
    assert done.url in reply and "春耕备耕贷款上线啦" in reply


def test_a_cover_that_is_no_permanent_image_is_wechats_40007_and_bad_fields_are_named(panel, live):
    head = logged_in(panel.app, "hq_admin")
    save(head, thumb_media_id="not-uploaded-anywhere")
    saved = article(panel.app)
    response = act(head, "wechat-draft/", saved.id)
    page = head.get(response.headers["Location"]).get_data(as_text=True)
    assert "40007" in page and article(panel.app).status == "draft"
    for field, value, reason in (("title", "长" * 33, "标题"), ("body", "", "正文"), ("digest", "长" * 129, "摘要"),
                                 ("source_url", "javascript:alert(1)", "阅读原文"), ("thumb_media_id", "", "封面"),
                                 ("keyword", "春耕贷", "回复关键词")):
        response = save(head, **{field: value})
        assert response.status_code == 400 and reason in response.get_data(as_text=True), field
    assert logged_in(panel.app, "east_op").get(PAGE).status_code == 403


def test_a_failed_publish_is_shown_and_the_reads_are_fetched(panel, live):
    app = panel.app
    head = logged_in(app, "hq_admin")
    save(head)
    saved = article(app)
    act(head, "wechat-draft/", saved.id)
    live.state.marketing.publish_outcome = 4  # platform review refuses it
    act(head, "publish/", saved.id, previewed=previewed(head, saved.id))
    assert article(app).status == "failed" and "平台审核不通过" in article(app).result
    live.state.marketing.publish_outcome = 0
    act(head, "wechat-draft/", saved.id)
    act(head, "publish/", saved.id, previewed=previewed(head, saved.id))
    done = article(app)
    assert done.status == "published"

    yesterday = (utcnow() + timedelta(hours=8) - timedelta(days=1)).date().isoformat()
    live.state.marketing.article_reads[(done.msg_data_id, yesterday)] = {
        "int_page_read_user": 120, "int_page_read_count": 180, "share_count": 9}
    figures = "/admin/marketing_figures/"
    for _ in range(2):  # fetching twice updates the same day's row
        assert head.post(figures + "fetch-reads/", data={"csrf_token": csrf_of(head, figures)}).status_code == 303
    with app.app_context():
        [row] = db.session.execute(select(ArticleRead)).scalars()
        assert (row.read_user, row.read_count, row.share_count) == (120, 180, 9)
    csv_text = head.get(figures + "article_reads.csv").get_data(as_text=True)
    assert f"{done.id},春耕备耕贷款上线," in csv_text and ",120,180,9" in csv_text


def test_an_article_goes_by_a_reviewed_mass_send_and_leaves_the_draft_box(panel, live):
    from {{ cookiecutter.bank_slug }}.admin.models import StaffUser
    from {{ cookiecutter.bank_slug }}.features.pushes.models import MassPush

    from ...admin.conftest import add_staff

    app = panel.app
    add_staff(app, "hq_checker")
    with app.app_context():
        db.session.execute(select(StaffUser).where(StaffUser.username == "hq_admin")).scalar_one().openid = \
            "oArticleAdmin000000000000001"
        db.session.commit()
    live.state.add_user("oArticleAdmin000000000000001", "管理员")
    live.state.add_user("oArticleReader00000000000001", "读者")
    head = logged_in(app, "hq_admin")
    save(head)
    saved = article(app)
    act(head, "wechat-draft/", saved.id)
    old_digest = previewed(head, saved.id)
    save(head, id=saved.id, digest="改过的摘要")
    act(head, "wechat-draft/", saved.id)
    act(head, "mass/", saved.id, previewed=old_digest)  # not the previewed text: refused
    with app.app_context():
        assert db.session.execute(select(MassPush)).first() is None
    response = act(head, "mass/", saved.id, previewed=previewed(head, saved.id), segment_id="")
    assert response.status_code == 303 and "/admin/push/job/" in response.headers["Location"]
    with app.app_context():
        job = db.session.execute(select(MassPush)).scalar_one()
        assert job.media_id == article(app).media_id and job.product_id is None and job.target == "all"
        job_id = job.id
    push_page = "/admin/push/"
    for client, path in ((head, "preview/"), (head, "submit/"), (logged_in(app, "hq_checker"), "approve/")):
        assert client.post(push_page + path, data={"csrf_token": csrf_of(client, push_page),
                                                   "id": job_id}).status_code == 303
    [sent] = live.state.records_since(0, "mass_send")
    assert sent.payload["msgtype"] == "mpnews" and sent.payload["mpnews"]["media_id"] == article(app).media_id
    assert "oArticleReader00000000000001" in sent.extra["delivered_to"]
    assert live.state.marketing.drafts == {}  # WeChat removed the sent draft
    assert "这篇草稿已群发" in head.get(PAGE + f"preview/?id={saved.id}").get_data(as_text=True)
    act(head, "publish/", saved.id, previewed=previewed(head, saved.id))
    assert article(app).status == "saved" and live.state.records_since(0, "publish") == []
