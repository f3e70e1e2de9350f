"""Transfer safety in the simulator, in real Chromium: a first transfer to a payee shows the anti-fraud warning,
which must be ticked before the PIN; a 普通到账 transfer is held (待到账) and the customer revokes it (撤销) from the
result page, the money back on the card, each step told as a 转账结果通知 card by the running dispatcher."""

import pytest
from sqlalchemy import select

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips these tests (or fails them under CI=true)
    expect = None

from {{ cookiecutter.bank_slug }}.core_banking.ledger.models import LedgerAccount, card_key
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.binding.models import CardBinding
from {{ cookiecutter.bank_slug }}.sandbox.run import DEMO_FOLLOWERS, push_menu, seed_followers, start_dispatcher
from {{ cookiecutter.bank_slug }}.shared import demo_data
from {{ cookiecutter.bank_slug }}.shared.masking import mask_card

from ..binding_support import LI, ZHANG, opening_fen, seed_demo
from ..live_sandbox import live_sandbox

pytestmark = [pytest.mark.e2e, pytest.mark.heavy]

FOLLOWER = next(openid for openid, _, follows in DEMO_FOLLOWERS if follows)


@pytest.fixture
def sandbox(make_app):
    """The follower has 张伟's first card bound (as the binding journey leaves it)."""
    app = make_app(WECHAT_ENCRYPT_MODE="safe", BANK_SHORT_NAME="测试农商银行", SERVICE_HOTLINE="96000",
                   ALERT_POLL_SECONDS="0.2", FRAUD_NIGHT_AMOUNT_YUAN="100000", FRAUD_NEW_BINDING_AMOUNT_YUAN="100000")
    seed_demo(app)
    with app.app_context():
        account = db.session.scalar(select(LedgerAccount).where(
            LedgerAccount.card_number_hash == card_key(ZHANG.cards[0])))
        db.session.add(CardBinding(openid=FOLLOWER, account_id=account.account_id, card_mask=mask_card(ZHANG.cards[0]),
                                   status="active", alerts_suspended=False))
        db.session.commit()
    with live_sandbox(app) as live:
        assert push_menu(app) == ""
        assert seed_followers(live.mock) == []
        stop, thread = start_dispatcher(app)
        try:
            yield live
        finally:
            stop.set()
            thread.join(timeout=10)


def tap_pin(frame, pin: str) -> None:
    """The PIN on the on-screen keypad, digit by digit (there is no field to type into)."""
    for digit in pin:
        frame.locator(f"[data-testid=pin-pad] [data-digit='{digit}']").click()


def reload(frame) -> None:
    """Reload the web view's page and wait for the new document (the old one is marked)."""
    frame.locator("body").evaluate("() => { document.body.dataset.old = '1'; window.location.reload(); }")
    expect(frame.locator("body[data-old]")).to_have_count(0)
    expect(frame.get_by_test_id("pin-pad")).to_be_visible()


def _open_transfer(phone, sandbox):
    phone.goto(f"{sandbox.mock_url}/simulator/")
    expect(phone.locator("#phone")).to_have_attribute("data-ready", "1")
    phone.get_by_test_id("user-select").select_option(FOLLOWER)
    expect(phone.locator("#phone")).to_have_attribute("data-ready", "1")
    phone.get_by_test_id("menubar").get_by_role("button", name="账户").click()
    phone.get_by_test_id("submenu").get_by_role("button", name="转账").click()
    return phone.frame_locator("[data-testid=webview-frame]")


def _fill(frame, amount: str, arrival: str) -> None:
    frame.get_by_label("户名").fill(LI.name)
    frame.get_by_label("账号").fill(LI.cards[0])
    frame.get_by_label("¥").fill(amount)
    frame.get_by_test_id(f"arrival-{arrival}").check()
    frame.get_by_role("button", name="下一步").click()


def test_a_first_transfer_to_a_new_payee_shows_the_warning_first(phone, sandbox, artifacts):
    frame = _open_transfer(phone, sandbox)
    _fill(frame, "20", "realtime")
    warning = frame.get_by_test_id("fraud-warning")
    expect(warning).to_contain_text("首次向该收款人转账")
    expect(frame.locator("body")).to_contain_text("安全账户")
    expect(frame.locator("body")).not_to_contain_text(LI.cards[0])  # masked
    phone.screenshot(path=artifacts / "transfer-safety-1-warning.png")
    frame.get_by_test_id("acknowledge").click()  # not ticked: the browser keeps the page
    expect(warning).to_be_visible()
    expect(frame.get_by_test_id("pin-pad")).to_have_count(0)
    frame.get_by_test_id("understood").check()
    frame.get_by_test_id("acknowledge").click()
    tap_pin(frame, demo_data.DEMO_PIN)
    frame.get_by_role("button", name="确认转账").click()
    expect(frame.get_by_test_id("outcome")).to_have_text("转账成功")
    outcome = phone.get_by_test_id("card-template").filter(has_text="转账结果通知")
    expect(outcome).to_have_count(1, timeout=30_000)


def test_a_normal_arrival_transfer_is_revoked_before_it_arrives(phone, sandbox, artifacts):
    frame = _open_transfer(phone, sandbox)
    _fill(frame, "66.60", "normal")
    frame.get_by_test_id("understood").check()
    frame.get_by_test_id("acknowledge").click()
    expect(frame.get_by_test_id("arrival")).to_have_text("普通到账")
    tap_pin(frame, demo_data.DEMO_PIN)
    frame.get_by_role("button", name="确认转账").click()
    expect(frame.get_by_test_id("outcome")).to_have_text("转账已受理，待到账")
    phone.screenshot(path=artifacts / "transfer-safety-2-held.png")
    cards = phone.get_by_test_id("card-template")
    expect(cards.filter(has_text="转账结果通知").filter(has_text="待到账")).to_have_count(1, timeout=30_000)

    frame.get_by_test_id("revoke").click()
    expect(frame.get_by_test_id("outcome")).to_have_text("转账已撤销")
    expect(frame.get_by_test_id("reason")).to_contain_text("资金已退回")
    expect(cards.filter(has_text="转账结果通知").filter(has_text="已撤销")).to_have_count(1, timeout=30_000)
    phone.screenshot(path=artifacts / "transfer-safety-3-revoked.png")
    with sandbox.service.app_context():
        balance = db.session.scalar(select(LedgerAccount.balance_fen)
                                    .where(LedgerAccount.card_number_hash == card_key(ZHANG.cards[0])))
    assert balance == opening_fen(ZHANG.cards[0])  # the money is back on the card


def test_the_pin_is_tapped_on_a_shuffled_keypad_and_never_kept_in_the_page(phone, sandbox, artifacts):
    frame = _open_transfer(phone, sandbox)
    _fill(frame, "8", "realtime")
    frame.get_by_test_id("understood").check()
    frame.get_by_test_id("acknowledge").click()
    pad = frame.get_by_test_id("pin-pad")
    expect(pad).to_be_visible()
    assert frame.locator("input[type=password], input[type=text][name=pin], input[type=tel]").count() == 0
    first = pad.locator("[data-digit]").all_inner_texts()
    assert sorted(first) == list("0123456789")
    tap_pin(frame, "12")
    expect(frame.locator("[data-testid=pin-dots] .pin-dot-on")).to_have_count(2)
    assert frame.locator("input[name=pin]").input_value() == "12"
    frame.locator("[data-testid=pin-pad] [data-action=back]").click()
    assert frame.locator("input[name=pin]").input_value() == "1"
    phone.screenshot(path=artifacts / "transfer-safety-4-keypad.png")
    reload(frame)
    expect(frame.locator("input[name=pin]")).to_have_value("")  # nothing kept across a reload
    orders = [pad.locator("[data-digit]").all_inner_texts()]
    for _ in range(2):
        reload(frame)
        orders.append(pad.locator("[data-digit]").all_inner_texts())
    assert len({tuple(order) for order in [first, *orders]}) > 1  # a new order per page
    tap_pin(frame, demo_data.DEMO_PIN)
    frame.get_by_role("button", name="确认转账").click()
    expect(frame.get_by_test_id("outcome")).to_have_text("转账成功")
