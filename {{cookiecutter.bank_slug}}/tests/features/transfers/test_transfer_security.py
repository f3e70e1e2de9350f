"""Guessing through transfers: a payee's name from an account number (one refusal for both kinds, counted
and limited per customer and day), and a replayed PIN captcha."""
# ruff: noqa: F811  (the fixtures are imported from the feature's main test module)

from {{ cookiecutter.bank_slug }}.features.transfers import captcha as captcha_check

from .test_transfer_h5 import (  # noqa: F401  (bank: the fixture)
    PIN,
    UNKNOWN_CARD,
    WRONG_PIN,
    balances,
    bank,
    browser,
    confirm,
    orders,
    pin_failures,
    reason,
    submit,
)


def guess(service, bank, **fields):
    placed, csrf, key = submit(service, bank, amount="1", **fields)
    if placed.status_code != 303:
        return placed
    done = confirm(service, key, csrf)
    return service.get(done.headers["Location"])


def test_no_such_account_and_wrong_name_look_the_same_and_are_limited(bank):
    before = balances(bank)
    service = browser(bank)
    unknown = guess(service, bank, payee_number=UNKNOWN_CARD)
    wrong_name = guess(service, bank, payee_name="李四")
    assert reason(unknown) == reason(wrong_name) and "收款账户信息有误，请核对户名与账号" in reason(unknown)
    for text in ("不存在", "不符"):
        assert text not in unknown.get_data(as_text=True) and text not in wrong_name.get_data(as_text=True)
    for name in ("李三", "李五", "李六"):  # 5 refused look-ups today
        assert "收款账户信息有误" in reason(guess(service, bank, payee_name=name))
    stopped = guess(service, bank, payee_name="李娜")  # the 6th, even with the right name
    assert stopped.status_code == 429 and "核对失败次数过多" in reason(stopped)
    assert [o.failure_code for o in orders(bank)] == ["payee_not_found"] + ["payee_name_mismatch"] * 4
    assert balances(bank) == before

    bob = browser(bank, "oBobXfer00000000000000000002")  # another customer is not affected
    placed, _, _ = submit(bob, bank, binding_id=str(bank.bindings[3]), payee_number=bank.cards[1],
                          payee_name="张伟", amount="1")
    assert placed.status_code == 303


def test_a_pin_captcha_cannot_be_replayed_with_the_cookie_from_before(bank, monkeypatch):
    service = browser(bank)
    placed, csrf, key = submit(service, bank)
    for _ in range(3):
        confirm(service, key, csrf, WRONG_PIN)
    assert pin_failures(bank) == 3
    monkeypatch.setattr(captcha_check, "new_answer", lambda: "AC34")
    service.get("/h5/transfer/captcha.png")
    before_submit = service.get_cookie("session").value
    fourth = confirm(service, key, csrf, WRONG_PIN, captcha="AC34")
    assert "还可尝试 1 次" in reason(fourth) and pin_failures(bank) == 4
    service.set_cookie("session", before_submit)
    replayed = confirm(service, key, csrf, PIN, captcha="AC34")
    assert replayed.status_code == 400 and "图形验证码错误" in reason(replayed)
    assert pin_failures(bank) == 4 and orders(bank)[0].status == "awaiting_pin"
