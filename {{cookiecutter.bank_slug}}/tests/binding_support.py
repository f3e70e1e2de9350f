"""Demo customers and their cards (from `seed-demo`), and reading one-time codes, for the binding tests."""

import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.shared import demo_data
from {{ cookiecutter.bank_slug }}.web.attempts import Attempt

CODE_IN_SMS = re.compile(r"验证码 (\d{6})")


@dataclass(frozen=True)
class DemoCustomer:
    name: str
    id_number: str
    phone: str
    cards: tuple[str, ...]


def demo_customer(name: str) -> DemoCustomer:
    for customer_name, birth, sequence, phone, _branch in demo_data.CUSTOMERS:
        if customer_name == name:
            cards = tuple(demo_data.card_number(serial)
                          for serial, (holder, _fen) in enumerate(demo_data.ACCOUNTS, start=1) if holder == name)
            return DemoCustomer(name, demo_data.id_number(birth, sequence), phone, cards)
    raise KeyError(name)


def opening_fen(card: str) -> int:
    for serial, (_holder, fen) in enumerate(demo_data.ACCOUNTS, start=1):
        if demo_data.card_number(serial) == card:
            return fen
    raise KeyError(card)


ZHANG = demo_customer("张伟")  # two cards
LI = demo_customer("李娜")


def seed_demo(app) -> None:
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output


def code_in(text: str) -> str:
    match = CODE_IN_SMS.search(text)
    assert match, "no code in the message"
    return match.group(1)


def age_attempts(**delta) -> None:
    """Pretend the counted attempts (codes sent, identity checks) happened `delta` earlier (no sleeping);
    in an app context."""
    for attempt in db.session.scalars(select(Attempt)):
        attempt.at -= timedelta(**delta)
    db.session.commit()


def fill_binding_form(frame, customer: DemoCustomer) -> None:
    """The H5 binding form in the simulator's in-app browser (a playwright frame), up to asking for the code;
    the separate consent first when the page asks for it."""
    frame.locator("[data-testid=consent-form], form[action='/h5/bind']").first.wait_for()  # either page
    if frame.get_by_test_id("consent-form").count():
        frame.get_by_test_id("agree").check()
        frame.get_by_role("button", name="同意并继续").click()
    frame.get_by_label("银行卡号").fill(customer.cards[0])
    frame.get_by_label("姓名").fill(customer.name)
    frame.get_by_label("身份证号").fill(customer.id_number)
    frame.get_by_label("手机号").fill(customer.phone)
    frame.get_by_role("button", name="获取短信验证码").click()


def give_consent(app, *openids: str) -> None:
    """Record these WeChat users' separate consent to the current privacy notice (what binding needs first)."""
    from {{ cookiecutter.bank_slug }}.features.privacy import consent

    with app.app_context():
        for openid in openids:
            consent.give_consent(openid, consent.notice_version(), True)
