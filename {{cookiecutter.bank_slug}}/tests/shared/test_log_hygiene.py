"""No card, ID or phone number and no full openid in any log line or access-log line: a customer journey
with personal data in every field (follow, bind, balance, a transfer's H5 pages, keyword echoes, an
EventKey, a failing handler's traceback), every record captured at DEBUG and scanned; plus the masker's
own rules (no false cards in MsgIds or SHA-1 signatures) and forged log lines."""

import logging
import re

import pytest
from gunicorn.config import Config
from gunicorn.glogging import Logger as GunicornLogger

from {{ cookiecutter.bank_slug }}.sandbox.wechat_push import WeChatPusher, event_message, text_message
from {{ cookiecutter.bank_slug }}.shared.logs import clean, install_scrubber
from {{ cookiecutter.bank_slug }}.shared.masking import scrub

from ..binding_support import ZHANG
from ..features.binding.test_binding_h5 import ALICE, alice, bind, sandbox, wechat  # noqa: F401 (fixtures)
from ..helpers import next_msg_id, push

pytestmark = pytest.mark.smoke

SECRETS = (*ZHANG.cards, ZHANG.id_number, ZHANG.phone, ALICE)


def leaks(text: str) -> list[str]:
    return [value for value in SECRETS if value in text]


def test_a_journey_with_personal_data_everywhere_logs_none_of_it(sandbox, alice, caplog):  # noqa: F811
    install_scrubber()
    caplog.set_level(logging.DEBUG)
    service = sandbox.service
    client, pusher = service.test_client(), WeChatPusher.from_config(service.config)
    pii = f"{ZHANG.cards[0]} {ZHANG.id_number} {ZHANG.phone}"
    push(client, pusher, event_message(ALICE, "subscribe", f"qrscene_{ZHANG.cards[0]}"))
    bind(alice, sandbox)
    for text in ("余额", pii, f"转账给 {ZHANG.cards[1]}", "帮助\n2026-01-01 ERROR forged line"):
        push(client, pusher, text_message(ALICE, text, next_msg_id()))
    push(client, pusher, event_message(ALICE, "CLICK", pii))
    for path in ("/h5/", "/h5/cards", "/h5/balance", "/h5/transfer", f"/h5/alerts/1?openid={ALICE}&code=abc"):
        alice.get(path)
    try:
        raise ValueError(f"[parameters: ('{ZHANG.cards[0]}', '{ZHANG.id_number}', '{ZHANG.phone}', '{ALICE}')]")
    except ValueError:
        logging.getLogger("journey").exception("a handler failed for %s", ALICE)

    output = caplog.text
    assert "a handler failed" in output and "ValueError" in output  # the traceback is there, masked
    assert leaks(output) == []
    for record in caplog.records:
        assert "\n" not in record.getMessage(), "a message with a newline can forge a log line"

    # gunicorn's access log line for an OAuth callback, with the shipped format.
    cfg = Config()
    cfg.set("accesslog", "-")
    namespace = {}
    exec(open("deploy/gunicorn.conf.py", encoding="utf-8").read(), namespace)
    cfg.set("access_log_format", namespace["access_log_format"])
    glog = GunicornLogger(cfg)
    stream = []
    handler = logging.Handler()
    handler.emit = lambda record: stream.append(handler.format(record))
    glog.access_log.addHandler(handler)

    class Response:
        status, sent, headers = "302 FOUND", 0, []

    environ = {"REQUEST_METHOD": "GET", "RAW_URI": f"/h5/oauth/callback?code=SECRETCODE&openid={ALICE}",
               "PATH_INFO": "/h5/oauth/callback", "QUERY_STRING": f"code=SECRETCODE&openid={ALICE}",
               "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "203.0.113.9"}

    class Request:
        headers, uri, method, path, query, version = [], environ["RAW_URI"], "GET", environ["PATH_INFO"], \
            environ["QUERY_STRING"], (1, 1)

    import datetime

    glog.access(Response(), Request(), environ, datetime.timedelta(milliseconds=12))
    assert stream and "/h5/oauth/callback" in stream[0]
    assert "SECRETCODE" not in stream[0] and ALICE not in stream[0]


def test_masker_leaves_msg_ids_and_signatures_alone():
    assert scrub("retry of msg:23955402937318742 answered") == "retry of msg:23955402937318742 answered"
    assert scrub("MsgId=6228480000000000018") == "MsgId=6228480000000000018"
    sha1 = "1234567890123456789abcdef01234567890abcd"
    assert scrub(f"signature={sha1}") == f"signature={sha1}"
    assert scrub("hex a13812345678b") == "hex a13812345678b"
    assert scrub("card 6228480000000000018 phone 13800138001") == "card 6228 **** **** 0018 phone 138****8001"
    assert scrub(f"from {ALICE}:") == f"from {ALICE[:4]}****{ALICE[-4:]}:"


def test_urls_in_log_lines_lose_their_codes_and_openids():
    line = clean(f"GET /h5/oauth/callback?code=0a1b2c&state=xyz&openid={ALICE}&next=/h5/")
    assert "0a1b2c" not in line and "xyz" not in line and ALICE not in line and "next=/h5/" in line


def test_a_forged_line_is_escaped(caplog):
    install_scrubber()
    caplog.set_level(logging.INFO)
    logging.getLogger("forge").info("message from %s", "oX\n2026-12-03 INFO admin logged in\r")
    message = caplog.records[-1].getMessage()
    assert "\n" not in message and "\r" not in message and "\\n2026-12-03" in message
    assert re.search(r"message from oX\\n", message)
