"""Helpers for the privacy tests: a customer's signed-in H5 client, CSRF tokens, binding a demo card through the
pages (the separate consent first), the SMS code from the sandbox outbox."""

import re
import time

from {{ cookiecutter.bank_slug }}.h5.oauth import SESSION_CUSTOMER
from {{ cookiecutter.bank_slug }}.sms import OUTBOX

from ...binding_support import ZHANG, code_in

ALICE = "oAlice0000000000000000000001"
BOB = "oBob00000000000000000000002X"
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
VERSION_INPUT = re.compile(r'name="version"[^>]*value="([^"]*)"')


def signed_in(app, openid: str = ALICE):
    client = app.test_client()
    with client.session_transaction() as session:
        session[SESSION_CUSTOMER] = {"openid": openid, "at": int(time.time())}
    return client


def csrf(client, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.get_data(as_text=True)[:800]
    return CSRF_INPUT.search(page.get_data(as_text=True)).group(1)


def consent_via_page(client, agree: bool = True, version: str | None = None):
    page = client.get("/h5/privacy/consent?next=/h5/bind")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    data = {"csrf_token": CSRF_INPUT.search(html).group(1), "next": "/h5/bind",
            "version": VERSION_INPUT.search(html).group(1) if version is None else version}
    if agree:
        data["agree"] = "y"
    return client.post("/h5/privacy/consent", data=data)


def bind_via_pages(client, customer=ZHANG, card: str | None = None):
    """Bind a card through /h5/bind and /h5/bind/verify (consent given before); returns the final response."""
    OUTBOX.clear()
    token = csrf(client, "/h5/bind")
    sent = client.post("/h5/bind", data={"csrf_token": token, "card_number": card or customer.cards[0],
                                         "holder_name": customer.name, "id_number": customer.id_number,
                                         "phone": customer.phone})
    assert sent.status_code == 302 and sent.headers["Location"] == "/h5/bind/verify", sent.get_data(as_text=True)
    code = code_in(OUTBOX.last(customer.phone).text)
    token = csrf(client, "/h5/bind/verify")
    return client.post("/h5/bind/verify", data={"csrf_token": token, "code": code})
