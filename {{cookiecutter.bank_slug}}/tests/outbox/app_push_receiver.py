"""A reference receiver of the app push contract (docs/app-push-openapi.yaml), as the app's push platform
would implement it: the signature and timestamp window checked, a nonce used once, an event accepted once
by its event_id (a repeat answered 200 duplicate), an event past its deliver_before dropped. `mode` makes
it answer as a failing platform would: "refuse" (410 uninstalled), "down" (503)."""

import hashlib
import hmac
import re
import threading
import time
from datetime import UTC, datetime

from flask import Flask, jsonify, request

from {{ cookiecutter.bank_slug }}.outbox.app_push import (
    NONCE_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    string_to_sign,
)

WINDOW_SECONDS = 300
NONCE = re.compile(r"[A-Za-z0-9_-]{16,64}")


def make_receiver(secret: str) -> Flask:
    app = Flask("app-push-receiver")
    state = {"mode": "ok", "events": {}, "nonces": set(), "requests": 0, "lock": threading.Lock()}
    app.extensions["receiver"] = state

    @app.post("/events")
    def events():
        body = request.get_data()
        timestamp, nonce = request.headers.get(TIMESTAMP_HEADER, ""), request.headers.get(NONCE_HEADER, "")
        expected = hmac.new(secret.encode(), string_to_sign(timestamp, nonce, "POST", "/events", body),
                            hashlib.sha256).hexdigest()
        with state["lock"]:
            state["requests"] += 1
            if (not timestamp.isdigit() or abs(time.time() - int(timestamp)) > WINDOW_SECONDS
                    or not NONCE.fullmatch(nonce) or nonce in state["nonces"]
                    or not hmac.compare_digest(expected, request.headers.get(SIGNATURE_HEADER, ""))):
                return jsonify(code="unauthorized", message="bad signature"), 401
            state["nonces"].add(nonce)
            if state["mode"] == "down":
                return jsonify(code="unavailable", message="push platform down"), 503
            if state["mode"] == "refuse":
                return jsonify(code="uninstalled", message="the customer removed the app"), 410
            event = request.get_json()
            deadline = datetime.fromisoformat(event["deliver_before"].replace("Z", "+00:00"))
            if datetime.now(UTC) > deadline:
                return jsonify(code="expired", message="past deliver_before"), 422
            if event["event_id"] in state["events"]:
                return jsonify(status="duplicate"), 200
            state["events"][event["event_id"]] = event
        return jsonify(status="accepted"), 202

    return app
