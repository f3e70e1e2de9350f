"""The mock WeChat API for bench/alerts.py, served so that its latency costs no thread.

The mock (sandbox.mock_api, the same Flask app the sandbox and the tests use) answers every call as
usual, as WSGI; only the latency it injects is not slept in a thread but awaited on an asyncio
server (aiohttp) before the answer goes out. Thousands of calls can then wait at once for little
CPU, the way WeChat's own servers hold their callers. Under gunicorn with a thread per waiting call
(bench/mock_wsgi.py) the threads, not the mock, cost most of its CPU.

    python bench/mock_server.py --port PORT

Configured from the environment like the service (.env), with MOCK_SERVICE_URL for the
simulator's link back. One process, one thread: the mock's state lives in it.
"""

import argparse
import asyncio
import io
import os
import sys
from pathlib import Path
from urllib.parse import unquote

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from {{ cookiecutter.bank_slug }} import create_app  # noqa: E402
from {{ cookiecutter.bank_slug }}.sandbox.run import sandbox_mock_app  # noqa: E402

MAX_BODY_BYTES = 2 * 1024 * 1024


class AwaitedLatency:
    """Stands in for the mock's `sleep`: adds up what one call asks to sleep, to be awaited after it."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self, seconds: float) -> None:
        self.seconds += seconds


def wsgi_environ(request: web.Request, body: bytes) -> dict:
    path, _, query = request.raw_path.partition("?")
    environ = {
        "REQUEST_METHOD": request.method, "SCRIPT_NAME": "", "PATH_INFO": unquote(path, encoding="latin-1"),
        "QUERY_STRING": query, "SERVER_NAME": request.host.partition(":")[0], "SERVER_PORT": str(request.url.port),
        "SERVER_PROTOCOL": f"HTTP/{request.version.major}.{request.version.minor}", "REMOTE_ADDR": request.remote,
        "wsgi.version": (1, 0), "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr,
        "wsgi.multithread": False, "wsgi.multiprocess": False, "wsgi.run_once": False,
        "CONTENT_LENGTH": str(len(body)),
    }
    for name, value in request.headers.items():
        key = name.upper().replace("-", "_")
        if key == "CONTENT_TYPE":
            environ["CONTENT_TYPE"] = value
        elif key != "CONTENT_LENGTH":
            environ[f"HTTP_{key}"] = value
    return environ


def build(mock) -> web.Application:
    latency = AwaitedLatency()
    mock.extensions["mock_wechat"].sleep = latency

    async def handle(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        answer: dict = {}

        def start_response(status, headers, exc_info=None):
            answer["status"], answer["headers"] = int(status.split(" ", 1)[0]), headers

        latency.seconds = 0.0  # the WSGI call below runs without a pause: no other call can add to it
        chunks = mock.wsgi_app(wsgi_environ(request, body), start_response)
        try:
            payload = b"".join(chunks)
        finally:
            getattr(chunks, "close", lambda: None)()
        if latency.seconds:
            await asyncio.sleep(latency.seconds)
        headers = [(k, v) for k, v in answer["headers"] if k.lower() not in ("content-length", "connection")]
        return web.Response(status=answer["status"], headers=headers, body=payload)

    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app.router.add_route("*", "/{tail:.*}", handle)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    mock = sandbox_mock_app(create_app(), os.environ.get("MOCK_SERVICE_URL", "http://127.0.0.1:5000"))
    web.run_app(build(mock), host=args.host, port=args.port, access_log=None, backlog=4096, print=None)


if __name__ == "__main__":
    main()
