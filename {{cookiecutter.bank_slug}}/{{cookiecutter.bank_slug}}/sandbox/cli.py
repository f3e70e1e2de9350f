"""`flask --app <package> sandbox ...`: the offline sandbox's commands."""

import ipaddress
from urllib.parse import urlsplit

import click
from flask import current_app
from werkzeug.serving import WSGIRequestHandler, make_server

from .mock_api import create_mock_app
from .mock_api.settings import MockSettings
from .run import run


class PathOnlyRequestHandler(WSGIRequestHandler):
    """The request log without query strings: they carry the AppSecret, access tokens and OAuth codes."""

    def log_request(self, code="-", size="-") -> None:
        self.log("info", '"%s %s" %s %s', self.command, urlsplit(self.path).path, code, size)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.group("sandbox")
def sandbox_group() -> None:
    """离线沙箱 Offline sandbox: WeChat's side, played locally."""


@sandbox_group.command("mock")
@click.option("--host", default="127.0.0.1", show_default=True, help="Loopback address to listen on")
@click.option("--port", type=click.IntRange(1, 65535), default=None,
              help="Port (default: the port of WECHAT_SANDBOX_API_URL)")
@click.option("--service-url", default="http://127.0.0.1:5000", show_default=True,
              help="Where this service runs (OAuth2 redirects may point there)")
@click.option("--token-ttl", type=click.IntRange(60, 7200), default=7200, show_default=True,
              help="Access-token lifetime in seconds")
@click.option("--seed", type=int, default=None, help="Seed for repeatable fault injection")
def mock(host: str, port: int | None, service_url: str, token_ttl: int, seed: int | None) -> None:
    """Run the mock WeChat API (api.weixin.qq.com stand-in) until Ctrl-C."""
    if not _is_loopback(host):
        raise click.BadParameter("模拟服务只监听本机地址 the mock listens on loopback only", param_hint="--host")
    config = current_app.config
    if not config["WECHAT_SANDBOX"]:
        # It would sign and encrypt pushes with this configuration's real Token and key, for any openid.
        raise click.ClickException(
            "WECHAT_SANDBOX=0：这是正式公众号的配置，模拟服务不能用它启动（否则会用真实的 Token 与密钥为任意 openid "
            "签名消息）。请在沙箱配置（WECHAT_SANDBOX=1）下运行。 Refusing to start: WECHAT_SANDBOX=0 is a live "
            "configuration, and the mock would sign pushes with its real Token and key. Run it with WECHAT_SANDBOX=1.")
    api_url = urlsplit(config["WECHAT_SANDBOX_API_URL"])
    port = port or api_url.port or 80
    settings = MockSettings.from_config(config, service_url=service_url, token_ttl_seconds=token_ttl, seed=seed)
    server = make_server(host, port, create_mock_app(settings), threaded=True,
                         request_handler=PathOnlyRequestHandler)
    click.echo(f"模拟微信接口 Mock WeChat API: http://{host}:{server.port}/  (Ctrl-C 停止 to stop)")
    if api_url.port not in (None, server.port):
        click.echo(f"注意：WECHAT_SANDBOX_API_URL 指向端口 {api_url.port}。"
                   f"Note: the service calls port {api_url.port}.")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


sandbox_group.add_command(run)
