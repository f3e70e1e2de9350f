"""Personal financial information is masked in text and in every log line."""

import logging

import pytest

from {{ cookiecutter.bank_slug }}.sandbox.wechat_push import WeChatPusher, text_message
from {{ cookiecutter.bank_slug }}.shared.logs import install_scrubber
from {{ cookiecutter.bank_slug }}.shared.masking import mask_card, mask_id_number, mask_name, mask_phone, scrub

from ..helpers import next_msg_id, push


def test_masks():
    assert mask_card("6228480402564890018") == "6228 **** **** 0018"
    assert mask_card("6228 4804 0256 4890 018") == "6228 **** **** 0018"
    assert mask_card("123") == "****"
    assert mask_id_number("33010019850312013X") == "3****************X"
    assert mask_phone("13800138001") == "138****8001"
    assert mask_name("张伟") == "张*" and mask_name("欧阳明") == "欧**" and mask_name("") == ""


@pytest.mark.parametrize("text,secret", [
    ("card 6228480402564890018 bound", "6228480402564890018"),
    ("id=33010019850312013X ok", "33010019850312013X"),
    ("phone 13800138001.", "13800138001"),
    ("卡号6228 4804 0256 4890 018，", "6228 4804 0256 4890 018"),
])
def test_scrub_removes_numbers_from_free_text(text, secret):
    assert secret not in scrub(text)


def test_scrub_leaves_ordinary_numbers():
    assert scrub("amount 5000 at 2026-11-23 12:00, msgid 42") == "amount 5000 at 2026-11-23 12:00, msgid 42"


def test_log_records_are_scrubbed_whatever_the_arguments(caplog):
    install_scrubber()
    with caplog.at_level(logging.INFO):
        logging.getLogger("anywhere").info("bind %s for %s", "6228480402564890018", "13800138001")
    message = caplog.records[-1].getMessage()
    assert "6228480402564890018" not in message and "13800138001" not in message
    assert "6228 **** **** 0018" in message and "138****8001" in message
    assert "6228480402564890018" not in caplog.text


def test_the_app_logs_no_card_number_for_a_chat_message(make_app, caplog):
    app = make_app(LOG_LEVEL="DEBUG", WECHAT_ENCRYPT_MODE="plain")
    pusher = WeChatPusher.from_config(app.config)
    with caplog.at_level(logging.DEBUG):
        push(app.test_client(), pusher, text_message("o1", "6228480402564890018", next_msg_id()))
        logging.getLogger("{{ cookiecutter.bank_slug }}.wechat").warning("echo %s", "6228480402564890018")
    assert caplog.records
    assert "6228480402564890018" not in caplog.text
