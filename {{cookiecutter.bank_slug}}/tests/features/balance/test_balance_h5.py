"""The H5 balance page (/h5/balance): every bound card's balances from the core, one card's recent transactions,
only the customer's own cards, and a Chinese page (never a 500) for bad input and core failures."""

import re
import time
from datetime import datetime

import pytest
from sqlalchemy import select

from {{ cookiecutter.bank_slug }}.core_banking.current import get_core
from {{ cookiecutter.bank_slug }}.core_banking.ledger.models import LedgerAccount, card_key
from {{ cookiecutter.bank_slug }}.core_banking.port import (
    AccountNotActive,
    AccountNotFound,
    Balance,
    CoreBankingError,
    CoreUnavailable,
    Transaction,
    TransferRequest,
)
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.balance import h5 as balance_page
from {{ cookiecutter.bank_slug }}.features.binding.models import CardBinding
from {{ cookiecutter.bank_slug }}.h5.oauth import SESSION_CUSTOMER
from {{ cookiecutter.bank_slug }}.shared.masking import mask_card, mask_name
from {{ cookiecutter.bank_slug }}.shared.money import format_yuan

from ...binding_support import LI, ZHANG, opening_fen, seed_demo
from ...h5.test_h5_oauth import log_in
from ...live_sandbox import live_sandbox

ALICE = "oAliceBal0000000000000000001"  # 张伟's two cards
BOB = "oBobBal000000000000000000002"  # 李娜's card
CAROL = "oCarolBal00000000000000000003"  # no card
MISSING_ACCOUNT = "A-NO-SUCH-ACCOUNT"


@pytest.fixture
def app(make_app):
    app = make_app()
    seed_demo(app)
    return app


def account_id(app, card: str) -> str:
    with app.app_context():
        return db.session.scalar(select(LedgerAccount.account_id).where(
            LedgerAccount.card_number_hash == card_key(card)))


def ledger_fen(app, card: str) -> int:
    with app.app_context():
        return db.session.scalar(select(LedgerAccount.balance_fen).where(
            LedgerAccount.card_number_hash == card_key(card)))


def bind(app, openid: str, card: str | None = None, *, account: str | None = None, card_mask: str | None = None,
         status: str = "active") -> int:
    """A binding as the H5 binding flow leaves it (that flow is tested in test_binding_h5.py); its id."""
    with app.app_context():
        binding = CardBinding(openid=openid, account_id=account or account_id(app, card),
                              card_mask=card_mask or mask_card(card), status=status, alerts_suspended=False)
        db.session.add(binding)
        db.session.commit()
        return binding.id


def pay(app, card: str, fen: int, key: str, memo: str = "") -> None:
    """A transfer from one of 张伟's cards to 李娜's, posted by the built-in ledger (the H5 transfer flow is
    tested in test_transfer_h5.py)."""
    with app.app_context():
        get_core().transfer(TransferRequest(idempotency_key=key, from_account_id=account_id(app, card),
                                            to_account_number=LI.cards[0], to_name=LI.name, amount_fen=fen,
                                            memo=memo))


def signed_in(app, openid: str = ALICE):
    """A browser whose customer the OAuth2 callback has identified (the dance itself: test_h5_oauth.py)."""
    client = app.test_client()
    with client.session_transaction() as session:
        session[SESSION_CUSTOMER] = {"openid": openid, "at": int(time.time())}
    return client


def get(client, path: str, status: int = 200, **kwargs) -> str:
    response = client.get(path, **kwargs)
    html = response.get_data(as_text=True)
    assert response.status_code == status, html[:800]
    return html


def cards_of(html: str) -> dict[int, str]:
    """Binding id -> the HTML of its block on the page."""
    blocks = re.findall(r'<a class="balance-card[^"]*" href="[^"]*"\s+data-testid="card" data-card="(\d+)"(.*?)</a>',
                        html, re.S)
    return {int(card): block for card, block in blocks}


def history_of(html: str) -> str:
    match = re.search(r'data-testid="history" data-card="(\d+)">(.*?)</section>', html, re.S)
    assert match, "no history section"
    return match.group(2)


def reason(html: str) -> str:
    return re.search(r'data-testid="reason">([^<]*)<', html).group(1)


def assert_no_clear_pii(app, html: str) -> None:
    for customer in (ZHANG, LI):
        for value in (*customer.cards, customer.id_number, customer.phone, customer.name):
            assert value not in html
    assert ALICE not in html and BOB not in html  # the openid only masked


@pytest.fixture
def alice_cards(app):
    """Alice's two cards (binding ids, in page order) and Bob's one."""
    first, second = (bind(app, ALICE, card) for card in ZHANG.cards)
    return first, second, bind(app, BOB, LI.cards[0])


# -- what the page shows ---------------------------------------------------------------------------
def test_every_bound_card_shows_its_balances_from_the_ledger(app, alice_cards):
    first, second, _bob = alice_cards
    html = get(signed_in(app), "/h5/balance")
    shown = cards_of(html)
    assert list(shown) == [first, second]  # Alice's cards only, oldest binding first
    for binding_id, card in zip((first, second), ZHANG.cards, strict=True):
        block = shown[binding_id]
        assert mask_card(card) in block
        fen = ledger_fen(app, card)
        assert fen == opening_fen(card)
        assert f'data-testid="available">¥ {format_yuan(fen)}<' in block
        assert f'data-testid="ledger">¥ {format_yuan(fen)}<' in block
    assert 'aria-current="true"' in shown[first] and 'aria-current' not in shown[second]  # the first card by default
    assert f'data-testid="history" data-card="{first}"' in html
    assert re.search(r'data-testid="queried-at">查询时间：\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}<', html)
    assert "开户存入" in history_of(html) and "+" + format_yuan(opening_fen(ZHANG.cards[0])) in history_of(html)
    assert_no_clear_pii(app, html)


def test_balances_and_history_follow_a_transfer(app, alice_cards):
    first, second, bob = alice_cards
    pay(app, ZHANG.cards[1], 12_345, "bal-h5-lunch", memo=f"午饭 {LI.phone}")
    after = ledger_fen(app, ZHANG.cards[1])
    assert after == opening_fen(ZHANG.cards[1]) - 12_345

    html = get(signed_in(app), f"/h5/balance?card={second}")
    shown = cards_of(html)
    assert f"¥ {format_yuan(after)}<" in shown[second]
    assert f"¥ {format_yuan(opening_fen(ZHANG.cards[0]))}<" in shown[first]  # the other card did not move
    assert 'aria-current="true"' in shown[second]
    history = history_of(html)
    items = re.findall(r'data-testid="transaction">(.*?)</div>\s*</div>', history, re.S)
    assert len(items) == 2  # newest first: the transfer, then the opening deposit
    assert "转账支出" in items[0] and mask_name(LI.name) in items[0] and "午饭" in items[0]
    assert 'data-testid="amount">-123.45<' in items[0]
    assert f'data-testid="balance-after">余额 {format_yuan(after)}<' in items[0]
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", items[0])
    assert "开户存入" in items[1] and f"+{format_yuan(opening_fen(ZHANG.cards[1]))}" in items[1]
    assert f"{LI.phone[:3]}****{LI.phone[-4:]}" in items[0]  # a phone number typed into the memo is masked too
    assert_no_clear_pii(app, html)

    received = get(signed_in(app, BOB), "/h5/balance")
    assert f"¥ {format_yuan(ledger_fen(app, LI.cards[0]))}<" in cards_of(received)[bob]
    assert "转账收入" in received and 'data-testid="amount">+123.45<' in received and mask_name(ZHANG.name) in received
    assert_no_clear_pii(app, received)


def test_history_shows_at_most_ten_transactions(app, alice_cards):
    first, _second, _bob = alice_cards
    for n in range(12):
        pay(app, ZHANG.cards[0], 100 + n, f"bal-h5-many-{n}")
    html = get(signed_in(app), f"/h5/balance?card={first}")
    amounts = re.findall(r'data-testid="amount">([^<]*)<', history_of(html))
    assert amounts == [f"-{format_yuan(100 + n)}" for n in range(11, 1, -1)]  # the newest 10, newest first


def test_links_to_transfer_alerts_and_the_hall(app, alice_cards):
    first, second, _bob = alice_cards
    html = get(signed_in(app), f"/h5/balance?card={second}")
    assert f'href="/h5/transfer?card={second}"' in html  # 转账 from the card on show
    assert 'href="/h5/alerts"' in html and 'href="/h5/"' in html
    assert f'href="/h5/balance?card={first}"' in html  # the card selector


def test_the_page_is_english_on_request(app, alice_cards):
    client = signed_in(app)
    html = get(client, "/h5/balance?lang=en")
    assert '<html lang="en">' in html
    for text in ("Available balance", "Ledger balance", "Recent transactions", "Transfer", "Back to the service hall"):
        assert text in html
    assert "可用余额" not in html and "近期交易" not in html
    assert app.config["BANK_NAME_EN"] in html
    assert "Invalid request" in get(client, "/h5/balance?card=x", 400)  # remembered, errors too


def test_switching_language_stays_on_the_chosen_card(app, alice_cards):
    client = signed_in(app)
    second = list(cards_of(get(client, "/h5/balance")))[1]
    html = get(client, f"/h5/balance?card={second}")
    assert f'href="?card={second}&amp;lang=en"' in html  # the switch keeps ?card=
    english = get(client, f"/h5/balance?card={second}&lang=en")
    assert 'aria-current="true"' in cards_of(english)[second] and f'href="?card={second}&amp;lang=zh_CN"' in english


# -- whose cards -----------------------------------------------------------------------------------
def test_another_customers_card_is_404_and_shows_nothing_of_it(app, alice_cards):
    _first, _second, bob = alice_cards
    html = get(signed_in(app), f"/h5/balance?card={bob}", 404)
    assert "银行卡不存在" in html and "不是您绑定的银行卡" in reason(html)
    assert mask_card(LI.cards[0]) not in html and LI.cards[0][-4:] not in html
    assert format_yuan(opening_fen(LI.cards[0])) not in html
    assert 'href="/h5/balance"' in html  # the way back


def test_an_unbound_or_unknown_card_is_404(app, alice_cards):
    old = bind(app, ALICE, ZHANG.cards[0], card_mask="6228 **** **** 0000", status="unbound")
    for card in (old, 0, -1, 2**31, 10**30):
        html = get(signed_in(app), f"/h5/balance?card={card}", 404)
        assert "6228 **** **** 0000" not in html


@pytest.mark.parametrize("card", ["", "abc", "1.5", "1e3", "0x10", "１", "1;2", "<script>", "9" * 40])
def test_a_card_that_is_no_integer_is_400(app, alice_cards, card):
    html = get(signed_in(app), "/h5/balance", 400, query_string={"card": card})
    assert "银行卡参数无效" in reason(html) and "<script>" not in html


def test_a_customer_without_cards_gets_the_binding_link(app, alice_cards):
    html = get(signed_in(app, CAROL), "/h5/balance")
    assert 'data-testid="no-cards"' in html and 'href="/h5/bind"' in html and "请先绑定银行卡" in html
    assert 'data-testid="card"' not in html
    get(signed_in(app, CAROL), f"/h5/balance?card={alice_cards[0]}", 404)  # not hers: no card to show


def test_without_oauth_the_page_asks_wechat_first(make_app):
    app = make_app()
    seed_demo(app)
    binding = bind(app, ALICE, ZHANG.cards[0])
    with live_sandbox(app) as live:
        live.state.add_user(ALICE, "爱丽丝")
        browser = app.test_client()
        done = log_in(browser, live.mock.test_client(), ALICE, f"/h5/balance?card={binding}")
        assert done.status_code == 302 and done.headers["Location"] == f"/h5/balance?card={binding}"
        assert mask_card(ZHANG.cards[0]) in get(browser, done.headers["Location"])


# -- the core failing ------------------------------------------------------------------------------
def test_a_card_the_core_does_not_know_shows_the_hotline_and_the_others_still_show(app, alice_cards):
    first, _second, _bob = alice_cards
    lost = bind(app, ALICE, account=MISSING_ACCOUNT, card_mask="6228 **** **** 9999")
    hotline = app.config["SERVICE_HOTLINE"]
    client = signed_in(app)
    html = get(client, "/h5/balance")
    shown = cards_of(html)
    assert f"暂时无法查询，请致电客服热线 {hotline}" in shown[lost] and "¥" not in shown[lost]
    assert f"¥ {format_yuan(opening_fen(ZHANG.cards[0]))}<" in shown[first]

    chosen = get(client, f"/h5/balance?card={lost}")  # its own history cannot be read either: no 500
    assert f"暂时无法查询，请致电客服热线 {hotline}" in history_of(chosen)
    assert f"¥ {format_yuan(opening_fen(ZHANG.cards[0]))}<" in cards_of(chosen)[first]


class StubCore:
    """A core that answers balances and fails as told."""

    def __init__(self, balance_error=None, history_error=None) -> None:
        self.balance_error, self.history_error = balance_error, history_error

    def balance(self, account_id: str) -> Balance:
        if self.balance_error:
            raise self.balance_error
        return Balance(account_id, 123_456, 150_000, datetime(2024, 5, 1, 8, 30, 5))  # naive UTC

    def recent_transactions(self, account_id: str, limit: int = 10) -> list[Transaction]:
        if self.history_error:
            raise self.history_error
        return [Transaction("T1", account_id, -500, 123_456, datetime(2024, 5, 1, 8, 0), "fee")]


@pytest.mark.parametrize("core", [StubCore(balance_error=CoreUnavailable()), StubCore(history_error=CoreUnavailable()),
                                  StubCore(balance_error=CoreBankingError("boom"))])
def test_a_core_that_cannot_answer_is_a_503_page(app, alice_cards, monkeypatch, core):
    monkeypatch.setattr(balance_page, "get_core", lambda: core)
    html = get(signed_in(app), "/h5/balance", 503)
    assert "余额查询暂不可用" in html and app.config["SERVICE_HOTLINE"] in reason(html)
    assert "boom" not in html
    assert 'data-testid="card"' not in html


def test_ledger_and_available_balance_and_the_bank_time_zone(make_app, monkeypatch):
    app = make_app(TIMEZONE="Asia/Urumqi")
    binding = bind(app, ALICE, account="A1", card_mask="6228 **** **** 1234")
    monkeypatch.setattr(balance_page, "get_core", lambda: StubCore())
    html = get(signed_in(app), "/h5/balance")
    block = cards_of(html)[binding]
    assert 'data-testid="available">¥ 1,234.56<' in block and 'data-testid="ledger">¥ 1,500.00<' in block
    assert "查询时间：2024-05-01 14:30:05" in html  # 08:30:05 UTC in Urumqi (UTC+6)
    assert "手续费" in html and 'data-testid="amount">-5.00<' in html and "2024-05-01 14:00" in html


@pytest.mark.parametrize("refusal", [AccountNotFound, AccountNotActive], ids=["unknown", "frozen"])
def test_one_card_missing_or_frozen_in_a_stub_core_keeps_the_others(app, monkeypatch, refusal):
    found = bind(app, ALICE, account="A1", card_mask="6228 **** **** 1111")
    lost = bind(app, ALICE, account="A2", card_mask="6228 **** **** 2222")

    class HalfCore(StubCore):
        def balance(self, account_id: str) -> Balance:
            if account_id == "A2":
                raise refusal()
            return super().balance(account_id)

    monkeypatch.setattr(balance_page, "get_core", lambda: HalfCore())
    shown = cards_of(get(signed_in(app), f"/h5/balance?card={lost}"))
    assert "¥ 1,234.56" in shown[found] and app.config["SERVICE_HOTLINE"] in shown[lost]


# -- the hall --------------------------------------------------------------------------------------
def test_the_hall_links_to_the_page(app, alice_cards):
    client = signed_in(app)
    hall = get(client, "/h5/")
    start = hall.index('data-service="balance"')
    tile = hall[hall.rindex("<a", 0, start):hall.index("</a>", start)]
    assert 'href="/h5/balance"' in tile and "即将开通" not in tile
    html = get(client, "/h5/balance")
    assert "即将开通" not in html and "建设中" not in html and "敬请期待" not in html
