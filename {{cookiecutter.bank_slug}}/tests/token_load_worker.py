"""One worker process of the access-token load test (test_wechat_token_processes.py), like one
gunicorn worker: its own app, several threads, each making a bounded number of WeChat API calls.

    python -m tests.token_load_worker '<json: config, threads, calls, pause, openid>'

Prints one JSON line: how the calls ended ("ok", "errcode <n>", or an exception's name) and when
(epoch seconds) the first call started and the last one ended.
"""

import json
import sys
import threading
import time
from collections import Counter

from wechatpy.exceptions import WeChatClientException

from {{ cookiecutter.bank_slug }} import create_app
from {{ cookiecutter.bank_slug }}.wechat.client import get_client


def main(spec: dict) -> dict:
    app = create_app(spec["config"])
    outcomes, lock = Counter(), threading.Lock()
    start = threading.Barrier(spec["threads"])
    window = {"first": None, "last": None}

    def run() -> None:
        with app.app_context():
            client = get_client()  # one per thread, as requests sessions are not shared across threads
        start.wait()
        with lock:
            window["first"] = window["first"] or time.time()
        for i in range(spec["calls"]):
            try:
                if i % 2:
                    client.user.get(spec["openid"])
                else:
                    client.message.send_text(spec["openid"], f"load test {i}")
                outcome = "ok"
            except WeChatClientException as exc:
                outcome = f"errcode {exc.errcode}"
            except Exception as exc:  # counted, so the test shows what went wrong
                outcome = type(exc).__name__
            with lock:
                outcomes[outcome] += 1
                window["last"] = time.time()
            time.sleep(spec["pause"])

    threads = [threading.Thread(target=run) for _ in range(spec["threads"])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"outcomes": outcomes, **window}


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]))), flush=True)
