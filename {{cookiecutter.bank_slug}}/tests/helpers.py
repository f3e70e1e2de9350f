"""Helpers to push a message to /wechat as WeChat would, and read the reply."""

import itertools
import socket
import time

from defusedxml.ElementTree import fromstring

_msg_ids = itertools.count(int(time.time() * 1000))


def next_msg_id() -> int:
    return next(_msg_ids)


def push(client, pusher, xml: str, timestamp: int | None = None):
    """POST a signed (and, in compat/safe mode, encrypted) push; return (response, plaintext reply)."""
    signed = pusher.sign(xml, timestamp=timestamp)
    response = client.post("/wechat", query_string=signed.query, data=signed.body.encode(),
                           content_type="text/xml")
    body = response.get_data(as_text=True)
    plain = pusher.open_reply(body, signed.query) if response.status_code == 200 else ""
    return response, plain


def settle(app) -> None:
    """Write what the app's /wechat queued behind its answers (windows, stored replies: wechat/behind.py), as its
    writer thread does within a moment: for a test that reads those tables itself."""
    from {{ cookiecutter.bank_slug }}.extensions import db
    from {{ cookiecutter.bank_slug }}.wechat import behind

    store = app.extensions["wechat_processor"]._store  # None until a push came
    if store is not None:
        store.flush()
    with app.app_context():
        behind.flush(db.engine)


def reply_field(reply_xml: str, name: str) -> str:
    return fromstring(reply_xml).findtext(name) or ""


def free_port() -> int:
    """A loopback port nobody listens on right now (for servers the tests start, or expect closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def mock_control_client(mock_app):
    """A test client of the mock WeChat API that sends the run's X-Mock-Token, as the simulator page and the
    service's sandbox SMS sender do (sandbox/mock_api/guard.py)."""
    client = mock_app.test_client()
    client.environ_base["HTTP_X_MOCK_TOKEN"] = mock_app.extensions["mock_wechat"].settings.control_token
    return client
# A production configuration (WECHAT_SANDBOX=0) must name a real SMS sender: the bank's gateway (never called here).
PRODUCTION_SMS = {"SMS_SENDER": "gateway", "SMS_GATEWAY_URL": "https://sms.bank.example.cn/v1",
                  "SMS_GATEWAY_SECRET": "a-test-gateway-secret-0123456789"}
