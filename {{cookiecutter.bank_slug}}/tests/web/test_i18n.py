"""Languages: Chinese (zh_CN) by default, English on request (?lang=, Accept-Language, DEFAULT_LOCALE), chat replies
in DEFAULT_LOCALE; and the catalogues in translations/ current, complete and compiled."""

import re
import time

import pytest

from {{ cookiecutter.bank_slug }}.features.binding.service import IdentityMismatch
from {{ cookiecutter.bank_slug }}.h5.oauth import SESSION_CUSTOMER
from {{ cookiecutter.bank_slug }}.sandbox.wechat_push import WeChatPusher, event_message, text_message
from {{ cookiecutter.bank_slug }}.settings import ConfigError, default_locale
from {{ cookiecutter.bank_slug }}.web.i18n_catalogs import (
    REFRESH_HINT,
    TEMPLATE,
    check,
    compiled,
    extract,
    locales,
    po_path,
    read_catalog,
    read_compiled,
)

from ..binding_support import give_consent
from ..helpers import next_msg_id, push, reply_field

pytestmark = pytest.mark.smoke

ALICE = "oAlice0000000000000000000001"
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def signed_in(app, **headers):
    give_consent(app, ALICE)  # the binding form is shown after the separate consent (features/privacy)
    client = app.test_client()
    for name, value in headers.items():
        client.environ_base[f"HTTP_{name.upper()}"] = value
    with client.session_transaction() as session:
        session[SESSION_CUSTOMER] = {"openid": ALICE, "at": int(time.time())}
    return client


def page(client, path: str, status: int = 200, **kwargs) -> str:
    response = client.get(path, **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def say(app, text: str, **headers) -> str:
    client = app.test_client()
    for name, value in headers.items():
        client.environ_base[f"HTTP_{name.upper()}"] = value
    _, reply = push(client, WeChatPusher.from_config(app.config), text_message(ALICE, text, next_msg_id()))
    return reply_field(reply, "Content")


# -- pages -----------------------------------------------------------------------------------------
def test_pages_are_chinese_by_default(app):
    html = page(signed_in(app), "/h5/bind")
    assert '<html lang="zh-CN">' in html
    assert "绑定银行卡" in html and "获取短信验证码" in html and "客服热线" in html
    assert app.config["BANK_NAME"] in html
    assert 'href="?lang=en"' in html and "English" in html  # the switch offers the other language
    assert "Get SMS code" not in html


def test_lang_parameter_gives_english_and_the_choice_sticks(app):
    client = signed_in(app)
    html = page(client, "/h5/bind?lang=en")
    assert '<html lang="en">' in html
    assert "Bind a card" in html and "Get SMS code" in html and "Service hotline" in html
    assert "获取短信验证码" not in html
    assert app.config["BANK_NAME_EN"] in html  # the bank's English name on English pages
    assert 'href="?lang=zh_CN"' in html and "中文" in html
    with client.session_transaction() as session:
        assert session["lang"] == "en"
    assert "Get SMS code" in page(client, "/h5/bind")  # remembered without the parameter
    assert "Transfer to accounts at our bank or other banks" in page(client, "/h5/")
    assert "获取短信验证码" in page(client, "/h5/bind?lang=zh_CN")  # and switched back
    assert "获取短信验证码" in page(client, "/h5/bind")


def test_accept_language_picks_english(app):
    english = signed_in(app, accept_language="en-US,en;q=0.9")
    assert "Get SMS code" in page(english, "/h5/bind")
    assert "Page not found" in page(english, "/h5/no-such-service", status=404)
    chinese = signed_in(app, accept_language="zh-CN,zh;q=0.9,en;q=0.8")
    assert "获取短信验证码" in page(chinese, "/h5/bind")
    assert "页面不存在" in page(chinese, "/h5/no-such-service", status=404)
    # an explicit choice beats the browser's preference
    assert "获取短信验证码" in page(english, "/h5/bind?lang=zh_CN")
    assert "获取短信验证码" in page(english, "/h5/bind")


def test_error_page_without_a_customer_is_translated_too(app):
    client = app.test_client()
    html = page(client, "/h5/oauth/callback?code=x&state=y&lang=en", status=400)
    assert "We could not confirm who you are" in html and "The sign-in page has expired" in html
    html = page(app.test_client(), "/h5/oauth/callback?code=x&state=y", status=400)
    assert "无法确认您的身份" in html and "登录页面已过期，请重新进入。" in html


def test_form_errors_follow_the_page_language(app):
    client = signed_in(app)
    token = CSRF_INPUT.search(page(client, "/h5/bind?lang=en")).group(1)
    response = client.post("/h5/bind", data={"csrf_token": token, "card_number": "1234", "holder_name": "",
                                             "id_number": "", "phone": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Please enter the account holder" in html
    assert "The card number should be 12 to 19 digits" in html
    assert "请输入开户人姓名" not in html


@pytest.mark.parametrize("lang", ["xx", "fr", "<script>", "zh_CN" * 10])
def test_unknown_lang_is_ignored_and_chinese_stays(app, lang):
    client = signed_in(app)
    html = page(client, "/h5/bind", query_string={"lang": lang})
    assert '<html lang="zh-CN">' in html and "获取短信验证码" in html
    with client.session_transaction() as session:
        assert "lang" not in session


def test_default_locale_en_makes_pages_and_chat_english(make_app):
    app = make_app(DEFAULT_LOCALE="en")
    assert "Get SMS code" in page(signed_in(app), "/h5/bind")
    assert "获取短信验证码" in page(signed_in(app), "/h5/bind?lang=zh_CN")
    help_text = say(app, "帮助")
    assert f"{app.config['BANK_NAME_EN']} WeChat Banking. Reply with a keyword below:" in help_text
    assert "All services" in help_text and "回复以下关键词" not in help_text
    assert app.config["SERVICE_HOTLINE"] in help_text
    assert "Sorry, we did not understand" in say(app, "随便说点什么")
    _, welcome = push(app.test_client(), WeChatPusher.from_config(app.config), event_message(ALICE, "subscribe"))
    assert "welcome to " + app.config["BANK_NAME_EN"] in reply_field(welcome, "Content")


def test_chat_replies_use_default_locale_not_the_callers_language(app):
    reply = say(app, "帮助", accept_language="en")
    assert f"{app.config['BANK_SHORT_NAME']}微信银行，回复以下关键词使用服务：" in reply
    assert "WeChat Banking" not in reply


def test_default_locale_is_checked_at_start_up():
    assert default_locale({}) == "zh_CN"
    assert default_locale({"DEFAULT_LOCALE": "en"}) == "en"
    assert default_locale({"DEFAULT_LOCALE": "zh-cn"}) == "zh_CN"
    with pytest.raises(ConfigError, match="DEFAULT_LOCALE must be one of zh_CN, en"):
        default_locale({"DEFAULT_LOCALE": "fr"})


def test_texts_marked_lazy_are_chinese_outside_a_request():
    assert str(IdentityMismatch.message) == "您输入的卡号、姓名、身份证号或手机号与本行开户信息不符，请核对后重试。"


# -- catalogues ------------------------------------------------------------------------------------
def test_template_covers_every_marked_text():
    source = {message.id for message in extract() if message.id}
    template = {message.id for message in read_catalog(TEMPLATE) if message.id}
    assert not source - template, f"texts missing from messages.pot: {sorted(source - template, key=str)[:10]}\n" \
                                  + REFRESH_HINT
    assert not template - source, f"messages.pot holds texts no longer in the source: " \
                                  f"{sorted(template - source, key=str)[:10]}\n" + REFRESH_HINT


def test_every_catalogue_has_every_text():
    template = {message.id for message in read_catalog(TEMPLATE) if message.id}
    assert {"en", "zh_Hans_CN"} <= set(locales())
    for locale in locales():
        ids = {message.id for message in read_catalog(po_path(locale), locale) if message.id}
        assert ids == template, f"{locale}/messages.po is not up to date with messages.pot\n" + REFRESH_HINT


def test_english_catalogue_translates_every_text():
    catalog = read_catalog(po_path("en"), "en")
    untranslated = [message.id for message in catalog if message.id and not message.string]
    fuzzy = [message.id for message in catalog if message.id and message.fuzzy]
    assert not untranslated, f"untranslated in en/messages.po: {untranslated[:10]}\n" + REFRESH_HINT
    assert not fuzzy, f"fuzzy (to review) in en/messages.po: {fuzzy[:10]}\n" + REFRESH_HINT


def test_committed_mo_files_are_the_compiled_po_files():
    for locale in locales():
        catalog = read_catalog(po_path(locale), locale)
        assert read_compiled(po_path(locale).with_suffix(".mo")) == compiled(catalog), \
            f"{locale}/messages.mo is not the compiled messages.po\n" + REFRESH_HINT


def test_catalogues_pass_the_full_check_and_the_cli_agrees(app):
    report = check()  # also placeholders kept ({url}, %(hotline)s) in every translation
    assert not report, str(report)
    result = app.test_cli_runner().invoke(args=["i18n", "check"])
    assert result.exit_code == 0, result.output
