"""Encryption at rest (JR/T 0171 C2): card, phone and ID numbers and names are ciphertexts in the database, found by
keyed hashes; after a whole journey (consent, bind, balance, transfer, alerts) no card, phone or ID number, no
customer's name, no PIN and no SMS code is anywhere in the database in clear; keys come from the environment and
rotate with `flask privacy rotate-keys`, which an interruption cannot leave inconsistent."""

import base64
import re

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, select, text

from {{ cookiecutter.bank_slug }} import create_app
from {{ cookiecutter.bank_slug }}.core_banking.current import get_core
from {{ cookiecutter.bank_slug }}.core_banking.ledger.models import LedgerAccount, Posting, card_key
from {{ cookiecutter.bank_slug }}.core_banking.models import Customer, id_number_key
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.binding.models import CardBinding
from {{ cookiecutter.bank_slug }}.features.privacy import keys
from {{ cookiecutter.bank_slug }}.sandbox.wechat_push import WeChatPusher, text_message
from {{ cookiecutter.bank_slug }}.settings import ConfigError
from {{ cookiecutter.bank_slug }}.shared import demo_data, fieldcrypt

from ...binding_support import LI, ZHANG, code_in, demo_customer, seed_demo
from ...conftest import make_config
from ...h5.test_h5_oauth import log_in
from ...helpers import free_port, mock_control_client, next_msg_id, push, reply_field
from ...live_sandbox import live_sandbox
from .support import ALICE, CSRF_INPUT, VERSION_INPUT

# fixed keys (the parametrized ids must be the same in every xdist worker); base64 of 32 bytes each
OLD, NEW, LOOKUP = (base64.b64encode(bytes([seed]) * 32).decode() for seed in (1, 2, 3))
TOKEN = re.compile(r"^pfi1\$[A-Za-z0-9_-]{1,16}\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$")


def everyone():
    return [demo_customer(name) for name, *_ in demo_data.CUSTOMERS]


def raw_values(app) -> list[tuple[str, str, str]]:
    """(table, column, value as stored) of every non-empty cell of every table."""
    found = []
    with app.app_context():
        engine = db.engine
        with engine.connect() as connection:
            for table in inspect(engine).get_table_names():
                if table == "alembic_version":
                    continue
                result = connection.execute(text(f'SELECT * FROM "{table}"'))
                names = list(result.keys())
                for row in result:
                    for name, value in zip(names, row, strict=True):
                        if value not in (None, ""):
                            found.append((table, name, str(value)))
    return found


def standalone(needle: str):
    return re.compile(rf"(?<![0-9A-Za-z]){re.escape(needle)}(?![0-9A-Za-z])")


# -- the type and the keyring ------------------------------------------------------------------------------
def test_values_round_trip_and_name_their_key():
    ring = fieldcrypt.Keyring.from_config(f"k2:{NEW},k1:{OLD}", LOOKUP)
    token = ring.encrypt("6228480012345678901")
    assert TOKEN.match(token) and fieldcrypt.key_id_of(token) == "k2" and "6228" not in token
    assert ring.decrypt(token) == "6228480012345678901"
    assert ring.encrypt("张伟") != ring.encrypt("张伟")  # a fresh data key and nonce every time
    old_only = fieldcrypt.Keyring.from_config(f"k1:{OLD}", LOOKUP)
    legacy = old_only.encrypt("13800001111")
    rewrapped = ring.rewrap(legacy)
    assert fieldcrypt.key_id_of(rewrapped) == "k2" and ring.decrypt(rewrapped) == "13800001111"
    assert rewrapped.split("$")[3] == legacy.split("$")[3]  # the data's ciphertext is untouched: only the DEK moved
    with pytest.raises(fieldcrypt.DecryptError, match="k2"):
        old_only.decrypt(rewrapped)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    with pytest.raises(fieldcrypt.DecryptError):
        ring.decrypt(tampered)
    assert ring.lookup_hash("card", "1") == fieldcrypt.Keyring.from_config(f"x:{OLD}", LOOKUP).lookup_hash("card", "1")


@pytest.mark.parametrize("keys, lookup, problem", [
    ("k1", "", "DATA_KEYS"), ("k1:notbase64!", "", "DATA_KEYS"), ("k1:" + "QUFB", "", "32 bytes"),
    (f"k1:{OLD},k1:{NEW}", "", "twice"), ("bad id!:" + OLD, "", "DATA_KEYS"), ("", "short", "DATA_LOOKUP_KEY"),
])
def test_malformed_keys_stop_the_start_naming_the_variable(keys, lookup, problem):
    with pytest.raises(ConfigError, match=problem):
        create_app(make_config("sqlite://", DATA_KEYS=keys, DATA_LOOKUP_KEY=lookup))


def test_comparing_an_encrypted_column_with_a_value_raises(app_with_keys):
    with app_with_keys.app_context():
        with pytest.raises(TypeError, match="lookup hash"):
            select(LedgerAccount).where(LedgerAccount.card_number == ZHANG.cards[0])
        assert select(LedgerAccount).where(LedgerAccount.card_number.is_(None)) is not None


@pytest.fixture
def app_with_keys(make_app):
    app = make_app(DATA_KEYS=f"k1:{OLD}", DATA_LOOKUP_KEY=LOOKUP)
    seed_demo(app)
    return app


def test_the_ledgers_customers_and_cards_are_ciphertexts_found_by_keyed_hashes(app_with_keys):
    cells = {(table, name): value for table, name, value in raw_values(app_with_keys)
             if (table, name) in {("bank_customer", "name"), ("bank_customer", "id_number"),
                                  ("bank_customer", "phone"), ("ledger_account", "card_number")}}
    assert cells and all(TOKEN.match(value) for value in cells.values())
    with app_with_keys.app_context():
        customer = db.session.scalar(select(Customer).where(Customer.id_number_hash == id_number_key(ZHANG.id_number)))
        assert (customer.name, customer.id_number, customer.phone) == (ZHANG.name, ZHANG.id_number, ZHANG.phone)
        account = get_core().find_account_by_card(ZHANG.cards[0])
        assert account is not None and account.card_number == ZHANG.cards[0]
        assert get_core().verify_identity(account.account_id, ZHANG.name, ZHANG.id_number, ZHANG.phone)
        stored = db.session.scalar(select(LedgerAccount).where(LedgerAccount.card_number_hash == card_key(LI.cards[0])))
        assert stored.card_tail == LI.cards[0][-4:]


# -- the whole journey, then a scan of every cell ----------------------------------------------------------
def test_after_a_whole_journey_nothing_personal_is_in_clear(make_app):
    app = make_app(BANK_SHORT_NAME="测试银行", DATA_KEYS=f"k1:{OLD}", DATA_LOOKUP_KEY=LOOKUP)
    seed_demo(app)
    codes = []
    with live_sandbox(app) as live:
        live.state.add_user(ALICE, "爱丽丝")
        wechat = mock_control_client(live.mock)
        browser = app.test_client()
        log_in(browser, wechat, ALICE, "/h5/privacy/consent")
        page = browser.get("/h5/privacy/consent?next=/h5/bind").get_data(as_text=True)
        agreed = browser.post("/h5/privacy/consent", data={
            "csrf_token": CSRF_INPUT.search(page).group(1), "version": VERSION_INPUT.search(page).group(1),
            "agree": "y", "next": "/h5/bind"})
        assert agreed.status_code == 302
        token = CSRF_INPUT.search(browser.get("/h5/bind").get_data(as_text=True)).group(1)
        sent = browser.post("/h5/bind", data={"csrf_token": token, "card_number": ZHANG.cards[0],
                                              "holder_name": ZHANG.name, "id_number": ZHANG.id_number,
                                              "phone": ZHANG.phone})
        assert sent.status_code == 302, sent.get_data(as_text=True)
        sms = [r.to_json() for r in live.state.records_since(0, "sms")]
        codes.append(code_in(sms[-1]["payload"]["text"]))
        token = CSRF_INPUT.search(browser.get("/h5/bind/verify").get_data(as_text=True)).group(1)
        bound = browser.post("/h5/bind/verify", data={"csrf_token": token, "code": codes[-1]})
        assert bound.status_code == 302 and "bound=" in bound.headers["Location"]
        binding_id = re.search(r"bound=(\d+)", bound.headers["Location"]).group(1)
        assert browser.get("/h5/balance").status_code == 200
        _, reply = push(app.test_client(), WeChatPusher.from_config(app.config),
                        text_message(ALICE, "余额", next_msg_id()))
        assert ZHANG.cards[0][-4:] in reply_field(reply, "Content")  # the balance reply names the card's tail
        page = browser.get("/h5/transfer").get_data(as_text=True)
        key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)
        csrf = CSRF_INPUT.search(page).group(1)
        placed = browser.post("/h5/transfer", data={
            "csrf_token": csrf, "idempotency_key": key, "binding_id": binding_id, "payee_number": LI.cards[0],
            "payee_name": LI.name, "payee_bank": "", "amount": "123.45", "memo": "午饭"})
        assert placed.status_code == 303, placed.get_data(as_text=True)
        if placed.headers["Location"].endswith(f"/h5/transfer/warning/{key}"):  # a first transfer to this payee
            browser.post(f"/h5/transfer/warning/{key}", data={"csrf_token": csrf, "understood": "1"})
        done = browser.post(f"/h5/transfer/confirm/{key}", data={"csrf_token": csrf, "pin": demo_data.DEMO_PIN})
        assert done.status_code == 303 and "转账成功" in browser.get(done.headers["Location"]).get_data(as_text=True)
        drained = app.test_cli_runner().invoke(args=["alerts", "drain"])  # transaction alerts and the outcome
        assert drained.exit_code == 0, drained.output
        assert live.state.records_since(0, "template", ALICE)  # the alerts went out
    with app.app_context():  # the journey really stored what the scan looks for
        posting = db.session.scalar(select(Posting).where(Posting.kind == "transfer_out"))
        assert posting.counterparty_account == LI.cards[0] and posting.counterparty_name == LI.name
        assert db.session.scalar(select(CardBinding.sms_phone)) == ZHANG.phone
    needles = {}
    for person in everyone():
        for card in person.cards:
            needles[card] = f"card of {person.name}"
        needles[person.phone] = f"phone of {person.name}"
        needles[person.id_number] = f"ID number of {person.name}"
        needles[person.id_number.lower()] = f"ID number of {person.name}"
    patterns = [(standalone(needle), what) for needle, what in needles.items()]
    patterns += [(standalone(demo_data.DEMO_PIN), "the PIN")] + [(standalone(code), "an SMS code") for code in codes]
    names = [person.name for person in everyone()]
    leaks = []
    for table, column, value in raw_values(app):
        for pattern, what in patterns:
            if pattern.search(value):
                leaks.append(f"{table}.{column}: {what}")
        for name in names:
            if name in value:
                leaks.append(f"{table}.{column}: the name {name[0]}*")
    assert leaks == []


# -- rotation ----------------------------------------------------------------------------------------------
def stored_key_ids(app) -> set[str]:
    with app.app_context():
        return {key for counts in keys.key_status().values() for key in counts}


def readable(app) -> list:
    with app.app_context():
        db.session.expire_all()
        return sorted((c.name, c.id_number, c.phone) for c in db.session.scalars(select(Customer)))


def test_rotation_rewraps_everything_and_survives_an_interruption(make_app, monkeypatch):
    before = make_app(DATA_KEYS=f"k1:{OLD}", DATA_LOOKUP_KEY=LOOKUP)
    seed_demo(before)
    expected = readable(before)
    assert stored_key_ids(before) == {"k1"}
    rotated = make_app(DATA_KEYS=f"k2:{NEW},k1:{OLD}", DATA_LOOKUP_KEY=LOOKUP)

    real_commit, commits = db.session.commit, []

    def interrupted():
        commits.append(1)
        if len(commits) == 3:
            raise KeyboardInterrupt  # the operator's ^C (or a killed process) between two batches
        real_commit()

    monkeypatch.setattr(db.session, "commit", interrupted)
    result = rotated.test_cli_runner().invoke(args=["privacy", "rotate-keys", "--batch-size", "2"])
    assert result.exit_code != 0
    monkeypatch.setattr(db.session, "commit", real_commit)
    with rotated.app_context():
        db.session.rollback()
    assert stored_key_ids(rotated) == {"k1", "k2"}  # half done: some values under each key
    assert readable(rotated) == expected  # and every one of them reads
    status = rotated.test_cli_runner().invoke(args=["privacy", "key-status"])
    assert status.exit_code == 0 and "still wrap values" in status.output

    again = rotated.test_cli_runner().invoke(args=["privacy", "rotate-keys", "--batch-size", "2"])
    assert again.exit_code == 0, again.output
    assert stored_key_ids(rotated) == {"k2"} and readable(rotated) == expected
    status = rotated.test_cli_runner().invoke(args=["privacy", "key-status"])
    assert "no longer used" in status.output
    after = make_app(DATA_KEYS=f"k2:{NEW}", DATA_LOOKUP_KEY=LOOKUP)  # the old key removed
    assert readable(after) == expected
    with after.app_context():
        assert get_core().find_account_by_card(ZHANG.cards[0]) is not None  # lookups never depended on the KEK
    assert after.test_cli_runner().invoke(args=["privacy", "rotate-keys"]).exit_code == 0  # nothing left to do


def test_a_key_removed_too_early_is_named_and_nothing_is_lost(make_app):
    before = make_app(DATA_KEYS=f"k1:{OLD}", DATA_LOOKUP_KEY=LOOKUP)
    seed_demo(before)
    expected = readable(before)
    early = make_app(DATA_KEYS=f"k2:{NEW}", DATA_LOOKUP_KEY=LOOKUP)
    result = early.test_cli_runner().invoke(args=["privacy", "rotate-keys"])
    assert result.exit_code == 1 and "'k1'" in result.output and "DATA_KEYS" in result.output
    status = early.test_cli_runner().invoke(args=["privacy", "key-status"])
    assert status.exit_code == 1 and "k1" in status.output
    assert readable(before) == expected  # nothing changed


# -- the migration encrypts what was there ----------------------------------------------------------------
def test_the_migration_encrypts_existing_rows_and_downgrades_to_clear(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    app = create_app(make_config(url, DATA_KEYS=f"k1:{OLD}", DATA_LOOKUP_KEY=LOOKUP,
                                 WECHAT_SANDBOX_API_URL=f"http://127.0.0.1:{free_port()}"))
    with app.app_context():
        upgrade(revision="0031")
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO bank_branch (code, name, kind) VALUES ('001', '城关', 'branch')"))
            connection.execute(text(
                "INSERT INTO bank_customer (name, id_number, phone, branch_id, created_at) "
                "VALUES (:name, :id, :phone, 1, '2026-01-01 00:00:00')"),
                {"name": ZHANG.name, "id": ZHANG.id_number, "phone": ZHANG.phone})
            connection.execute(text(
                "INSERT INTO ledger_account (account_id, card_number, customer_id, kind, status, currency, "
                "balance_fen, opened_at) VALUES ('A0000001', :card, 1, 'customer', 'active', 'CNY', 0, "
                "'2026-01-01 00:00:00')"), {"card": ZHANG.cards[0]})
        upgrade()
        with engine.connect() as connection:
            name, number, hashed = connection.execute(text(
                "SELECT name, id_number, id_number_hash FROM bank_customer")).one()
            card, card_hash, tail = connection.execute(text(
                "SELECT card_number, card_number_hash, card_tail FROM ledger_account")).one()
        assert TOKEN.match(name) and TOKEN.match(number) and TOKEN.match(card)
        assert hashed == id_number_key(ZHANG.id_number) and card_hash == card_key(ZHANG.cards[0])
        assert tail == ZHANG.cards[0][-4:]
        assert get_core().find_account_by_card(ZHANG.cards[0]).account_id == "A0000001"
        downgrade(revision="0031")
        with engine.connect() as connection:
            assert connection.execute(text("SELECT name, id_number FROM bank_customer")).one() == \
                (ZHANG.name, ZHANG.id_number)
            assert connection.execute(text("SELECT card_number FROM ledger_account")).scalar() == ZHANG.cards[0]
        engine.dispose()
