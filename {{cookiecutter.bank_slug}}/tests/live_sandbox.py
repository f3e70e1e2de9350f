"""The service and the mock WeChat API (with the simulator) on free loopback ports, as `sandbox run` starts them."""

from contextlib import contextmanager
from dataclasses import dataclass

from flask import Flask

from {{ cookiecutter.bank_slug }}.sandbox.run import point_at_sandbox, sandbox_mock_app, serve_in_background

HOST = "127.0.0.1"
POLL_SECONDS = 0.02  # how soon shutdown() returns


@dataclass
class LiveSandbox:
    service: Flask
    mock: Flask
    service_url: str
    mock_url: str

    @property
    def state(self):
        return self.mock.extensions["mock_wechat"]


@contextmanager
def live_sandbox(service: Flask):
    """Both apps served on daemon threads; the service's PUBLIC_BASE_URL and sandbox API URL point at them."""
    servers = []
    try:
        service_server, _ = serve_in_background(service, HOST, 0, POLL_SECONDS)
        servers.append(service_server)
        service_url = f"http://{HOST}:{service_server.port}"
        mock = sandbox_mock_app(service, service_url)
        mock_server, _ = serve_in_background(mock, HOST, 0, POLL_SECONDS)
        servers.append(mock_server)
        mock_url = f"http://{HOST}:{mock_server.port}"
        point_at_sandbox(service, service_url, mock_url)
        yield LiveSandbox(service, mock, service_url, mock_url)
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
