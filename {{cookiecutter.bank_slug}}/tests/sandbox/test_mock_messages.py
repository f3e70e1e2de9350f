"""Template, customer-service and mass messages, and user/info, as WeChat validates them."""

import pytest

from {{ cookiecutter.bank_slug }}.sandbox.mock_api.templates import ACCOUNT_CHANGE_TEMPLATE_ID, PRIVATE_TEMPLATES

from .mock_calls import FOLLOWER, NOT_FOLLOWING, UNKNOWN, api_get, api_post, assert_errcode

TEMPLATE_SEND = "/cgi-bin/message/template/send"
CUSTOM_SEND = "/cgi-bin/message/custom/send"
ALERT_DATA = {
    "thing1": {"value": "转账支出"},
    "amount2": {"value": "¥500.00"},
    "time3": {"value": "2024年05月01日 14:30"},
    "character_string4": {"value": "1234"},
    "amount5": {"value": "¥12345.67"},
}


def alert(**changes) -> dict:
    body = {"touser": FOLLOWER, "template_id": ACCOUNT_CHANGE_TEMPLATE_ID, "url": "https://wx.bank.example.cn/a",
            "data": dict(ALERT_DATA)}
    body.update(changes)
    return body


def records(client, kind):
    return client.get("/_mock/records", query_string={"kind": kind}).get_json()["records"]


# -- templates ---------------------------------------------------------------------------------

def test_private_templates_list_the_account_change_alert(mock_client, token):
    answer = api_get(mock_client, "/cgi-bin/template/get_all_private_template", token)
    listed = {t["template_id"]: t for t in answer["template_list"]}
    alert_template = listed[ACCOUNT_CHANGE_TEMPLATE_ID]
    assert alert_template["title"] == "账户资金变动提醒"
    assert "交易金额:" + "{" * 2 + "amount2.DATA" + "}" * 2 in alert_template["content"]
    assert "交易金额:¥500.00" in alert_template["example"]
    assert set(alert_template) == {"template_id", "title", "primary_industry", "deputy_industry", "content",
                                   "example"}


def test_template_message_is_sent_and_recorded_as_shown(mock_client, token):
    answer = api_post(mock_client, TEMPLATE_SEND, token, alert())
    assert answer["errcode"] == 0 and answer["errmsg"] == "ok" and isinstance(answer["msgid"], int)
    [record] = records(mock_client, "template")
    assert record["openid"] == FOLLOWER and record["msgid"] == answer["msgid"]
    assert record["payload"]["data"]["amount2"] == {"value": "¥500.00"}
    assert record["rendered"].splitlines()[1] == "交易金额:¥500.00"


def test_template_ignores_first_and_remark_like_wechat_since_2023(mock_client, token):
    data = dict(ALERT_DATA, first={"value": "您好"}, remark={"value": "感谢使用"})
    assert api_post(mock_client, TEMPLATE_SEND, token, alert(data=data))["errcode"] == 0
    assert "感谢使用" not in records(mock_client, "template")[0]["rendered"]


def test_unknown_template_is_40037(mock_client, token):
    assert_errcode(api_post(mock_client, TEMPLATE_SEND, token, alert(template_id="nope")), 40037)


@pytest.mark.parametrize("keyword,value,problem", [
    ("thing1", None, "is empty"),
    ("thing1", "", "is empty"),
    ("thing1", "超过二十个字的交易类型说明文字超过二十个字的说明", "invalid"),
    ("thing1", "两行\n内容", "invalid"),
    ("amount2", "五百元", "invalid"),
    ("amount2", "¥12345678901.00", "invalid"),
    ("time3", "昨天下午", "invalid"),
    ("character_string4", "尾号1234", "invalid"),
    ("amount5", 12345, "invalid"),
])
def test_unfit_template_values_are_47003(mock_client, token, keyword, value, problem):
    data = dict(ALERT_DATA)
    if value is None:
        del data[keyword]
    else:
        data[keyword] = {"value": value}
    answer = api_post(mock_client, TEMPLATE_SEND, token, alert(data=data))
    assert_errcode(answer, 47003)
    assert f"data.{keyword}.value {problem}" in answer["errmsg"]
    assert records(mock_client, "template") == []


def test_template_without_data_is_47003(mock_client, token):
    body = alert()
    del body["data"]
    assert_errcode(api_post(mock_client, TEMPLATE_SEND, token, body), 47003)


@pytest.mark.parametrize("template_id", list(PRIVATE_TEMPLATES))
def test_every_template_accepts_its_own_example(mock_client, token, template_id):
    template = PRIVATE_TEMPLATES[template_id]
    data = {keyword: {"value": value} for _, keyword, value in template.fields}
    answer = api_post(mock_client, TEMPLATE_SEND, token, alert(template_id=template_id, data=data))
    assert answer["errcode"] == 0, answer


@pytest.mark.parametrize("openid,errcode", [(UNKNOWN, 40003), ("", 40003), (None, 40003),
                                             (NOT_FOLLOWING, 43004)])
def test_template_to_a_stranger_or_non_follower_is_refused(mock_client, token, openid, errcode):
    assert_errcode(api_post(mock_client, TEMPLATE_SEND, token, alert(touser=openid)), errcode)


@pytest.mark.parametrize("path", [TEMPLATE_SEND, CUSTOM_SEND, "/cgi-bin/menu/create",
                                  "/cgi-bin/message/mass/send"])
@pytest.mark.parametrize("body,errcode", [(b"", 44002), (b"   ", 44002), (b"{not json", 47001),
                                          (b"[1, 2]", 47001), (b"\xff\xfe", 47001)])
def test_bad_bodies_are_refused(mock_client, token, path, body, errcode):
    assert_errcode(api_post(mock_client, path, token, body), errcode)


# -- customer-service messages -----------------------------------------------------------------

def test_custom_text_is_sent_and_recorded(mock_client, token):
    body = {"touser": FOLLOWER, "msgtype": "text", "text": {"content": "您的转账已到账。"}}
    answer = api_post(mock_client, CUSTOM_SEND, token, body)
    assert answer == {"errcode": 0, "errmsg": "ok"}
    [record] = records(mock_client, "custom")
    assert record["openid"] == FOLLOWER and record["payload"] == body


def test_custom_news_with_one_article(mock_client, token):
    article = {"title": "理财产品", "description": "稳健型", "url": "https://wx.bank.example.cn/p", "picurl": ""}
    body = {"touser": FOLLOWER, "msgtype": "news", "news": {"articles": [article]}}
    assert api_post(mock_client, CUSTOM_SEND, token, body)["errcode"] == 0


@pytest.mark.parametrize("body,errcode", [
    ({"touser": UNKNOWN, "msgtype": "text", "text": {"content": "hi"}}, 40003),
    ({"touser": NOT_FOLLOWING, "msgtype": "text", "text": {"content": "hi"}}, 43004),
    ({"touser": FOLLOWER, "msgtype": "fax", "fax": {}}, 40008),
    ({"touser": FOLLOWER, "text": {"content": "hi"}}, 40008),
    ({"touser": FOLLOWER, "msgtype": "text", "text": {"content": "  "}}, 44004),
    ({"touser": FOLLOWER, "msgtype": "text", "text": {"content": "长" * 700}}, 45002),
    ({"touser": FOLLOWER, "msgtype": "text"}, 47001),
    ({"touser": FOLLOWER, "msgtype": "news", "news": {"articles": []}}, 44003),
    ({"touser": FOLLOWER, "msgtype": "news", "news": {"articles": [{"title": "a"}, {"title": "b"}]}}, 45008),
    ({"touser": FOLLOWER, "msgtype": "image", "image": {}}, 40007),
])
def test_bad_custom_messages_are_refused(mock_client, token, body, errcode):
    assert_errcode(api_post(mock_client, CUSTOM_SEND, token, body), errcode)
    assert records(mock_client, "custom") == []


# -- mass send and preview ---------------------------------------------------------------------

def test_mass_send_reaches_followers_only(mock_client, token):
    body = {"touser": [FOLLOWER, NOT_FOLLOWING], "msgtype": "text", "text": {"content": "网点春节营业时间"},
            "clientmsgid": "notice-1"}
    answer = api_post(mock_client, "/cgi-bin/message/mass/send", token, body)
    assert answer["errcode"] == 0 and answer["errmsg"] == "send job submission success"
    assert answer["msg_id"] and answer["msg_data_id"]
    [record] = records(mock_client, "mass_send")
    assert record["delivered_to"] == [FOLLOWER] and "openid" not in record
    again = api_post(mock_client, "/cgi-bin/message/mass/send", token, body)
    assert_errcode(again, 45065)


@pytest.mark.parametrize("touser,errcode", [([FOLLOWER], 40130), (FOLLOWER, 40130), ([FOLLOWER, UNKNOWN], 40003)])
def test_mass_send_needs_two_known_users(mock_client, token, touser, errcode):
    body = {"touser": touser, "msgtype": "text", "text": {"content": "通知"}}
    assert_errcode(api_post(mock_client, "/cgi-bin/message/mass/send", token, body), errcode)


def test_mass_preview_goes_to_one_follower(mock_client, token):
    body = {"touser": FOLLOWER, "msgtype": "text", "text": {"content": "预览"}}
    answer = api_post(mock_client, "/cgi-bin/message/mass/preview", token, body)
    assert answer["errcode"] == 0 and answer["errmsg"] == "preview success"
    assert records(mock_client, "mass_preview")[0]["openid"] == FOLLOWER
    body["touser"] = NOT_FOLLOWING
    assert_errcode(api_post(mock_client, "/cgi-bin/message/mass/preview", token, body), 43004)


# -- user info ---------------------------------------------------------------------------------

def test_user_info_of_a_follower_has_no_nickname(mock_client, token, state):
    answer = api_get(mock_client, "/cgi-bin/user/info", token, openid=FOLLOWER, lang="zh_CN")
    assert answer["subscribe"] == 1 and answer["openid"] == FOLLOWER
    assert answer["subscribe_time"] == state.user(FOLLOWER).subscribe_time
    assert "nickname" not in answer and "headimgurl" not in answer


def test_user_info_of_a_non_follower_says_only_that(mock_client, token):
    answer = api_get(mock_client, "/cgi-bin/user/info", token, openid=NOT_FOLLOWING)
    assert answer == {"subscribe": 0, "openid": NOT_FOLLOWING}


@pytest.mark.parametrize("openid,errcode", [(UNKNOWN, 40003), ("", 41009)])
def test_user_info_of_nobody_is_refused(mock_client, token, openid, errcode):
    assert_errcode(api_get(mock_client, "/cgi-bin/user/info", token, openid=openid), errcode)
