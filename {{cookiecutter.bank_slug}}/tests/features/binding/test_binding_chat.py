"""余额 / BALANCE and 绑定 in the chat: masked cards, yuan from fen, the bank's time zone, the binding link."""

import re
from datetime import datetime

import pytest

from {{ cookiecutter.bank_slug }}.core_banking.current import get_core
from {{ cookiecutter.bank_slug }}.core_banking.port import Balance, CoreUnavailable
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.balance import chat as balance
from {{ cookiecutter.bank_slug }}.features.binding.models import CardBinding
from {{ cookiecutter.bank_slug }}.sandbox.wechat_push import WeChatPusher, event_message, text_message
from {{ cookiecutter.bank_slug }}.shared.masking import mask_card
from {{ cookiecutter.bank_slug }}.shared.money import format_cny

from ...binding_support import ZHANG, opening_fen, seed_demo
from ...helpers import next_msg_id, push, reply_field

ALICE = "oAlice0000000000000000000001"
BASE_URL = "https://wx.bank.example.cn"


@pytest.fixture
def app(make_app):
    app = make_app(PUBLIC_BASE_URL=BASE_URL, SERVICE_HOTLINE="96000", TIMEZONE="Asia/Shanghai")
    seed_demo(app)
    return app


def say(app, text: str, openid: str = ALICE) -> str:
    _, reply = push(app.test_client(), WeChatPusher.from_config(app.config), text_message(openid, text, next_msg_id()))
    return reply_field(reply, "Content")


def click(app, key: str, openid: str = ALICE) -> str:
    _, reply = push(app.test_client(), WeChatPusher.from_config(app.config), event_message(openid, "CLICK", key))
    return reply_field(reply, "Content")


def bind_directly(app, openid: str, card: str) -> None:
    """A binding as the H5 flow leaves it (that flow is tested in test_binding_h5.py)."""
    with app.app_context():
        account = get_core().find_account_by_card(card)
        db.session.add(CardBinding(openid=openid, account_id=account.account_id, card_mask=mask_card(card)))
        db.session.commit()


def test_unbound_customers_get_the_binding_link(app):
    for reply in (say(app, "余额"), click(app, "BALANCE")):
        assert f'<a href="{BASE_URL}/h5/bind">' in reply and "还没有绑定银行卡" in reply
        assert "即将开通" not in reply


@pytest.mark.parametrize("keyword", ["绑定", "绑卡", " 绑定银行卡 "])
def test_the_bind_keyword_answers_with_the_binding_link(app, keyword):
    reply = say(app, keyword)
    assert f'<a href="{BASE_URL}/h5/bind">' in reply and "即将开通" not in reply and "没能理解" not in reply


def test_balance_lists_every_bound_card_masked_in_yuan(app):
    for card in ZHANG.cards:
        bind_directly(app, ALICE, card)
    reply = click(app, "BALANCE")
    assert reply == say(app, "余额")
    lines = reply.splitlines()
    assert lines[0] == "您的账户余额："
    for card in ZHANG.cards:
        masked = f"6228 **** **** {card[-4:]}"
        assert masked in lines
        assert lines[lines.index(masked) + 1] == f"可用余额 {format_cny(opening_fen(card))}"
        assert card not in reply and card[4:-4] not in reply
    assert "可用余额 ¥50,000.00" in lines and "可用余额 ¥1,288.00" in lines
    assert re.fullmatch(r"查询时间：\d{4}-\d{2}-\d{2} \d{2}:\d{2}", lines[-2])
    assert lines[-1] == f'<a href="{BASE_URL}/h5/balance">查看明细</a>'  # the H5 page with the transactions


def test_balance_is_only_the_customers_own(app):
    bind_directly(app, ALICE, ZHANG.cards[0])
    assert "还没有绑定银行卡" in say(app, "余额", openid="oBob00000000000000000000002X")


class StubCore:
    def __init__(self, error=None) -> None:
        self.error = error

    def balance(self, account_id: str) -> Balance:
        if self.error:
            raise self.error
        return Balance(account_id, 123456, 123456, datetime(2024, 5, 1, 8, 30))  # naive UTC


@pytest.mark.parametrize("timezone,shown", [("Asia/Shanghai", "2024-05-01 16:30"), ("Asia/Urumqi", "2024-05-01 14:30")])
def test_the_time_is_the_banks_time_zone(make_app, monkeypatch, timezone, shown):
    app = make_app(TIMEZONE=timezone, PUBLIC_BASE_URL=BASE_URL)
    monkeypatch.setattr(balance, "get_core", lambda: StubCore())
    with app.app_context():
        db.session.add(CardBinding(openid=ALICE, account_id="A1", card_mask="6228 **** **** 1234"))
        db.session.commit()
        text = balance.balance_text(ALICE)
    assert text == (f"您的账户余额：\n6228 **** **** 1234\n可用余额 ¥1,234.56\n查询时间：{shown}\n"
                    f'<a href="{BASE_URL}/h5/balance">查看明细</a>')


def test_core_unavailable_is_a_polite_answer(make_app, monkeypatch):
    app = make_app(SERVICE_HOTLINE="96000")
    monkeypatch.setattr(balance, "get_core", lambda: StubCore(CoreUnavailable()))
    with app.app_context():
        db.session.add(CardBinding(openid=ALICE, account_id="A1", card_mask="6228 **** **** 1234"))
        db.session.commit()
        text = balance.balance_text(ALICE)
    assert "暂时无法使用" in text and "96000" in text and "/h5/balance" not in text


def test_help_lists_balance_and_binding(app):
    reply = say(app, "帮助")
    assert "「绑定」绑定本行银行卡" in reply and "「余额」查询已绑定银行卡的余额" in reply
