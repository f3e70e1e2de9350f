"""Relays a simulated user's action to the service's /wechat exactly as WeChat's servers do.

The push is signed with the service's Token (and in compat/safe mode encrypted with its
EncodingAESKey) by `WeChatPusher`; the passive reply is decrypted and turned into JSON for the page.
"""

from dataclasses import dataclass

import requests
from defusedxml.ElementTree import ParseError
from wechatpy.exceptions import WeChatException

from ...wechat.reply_xml import parse_reply
from ..wechat_push import WeChatPusher

TIMEOUT_SECONDS = 10  # WeChat waits 5 s; the simulator a little longer, to show slow replies too


class RelayError(Exception):
    """The service could not be reached or refused the push; `reason` is Chinese for the page."""

    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class Relayed:
    status: int
    reply: dict | None  # None when the service answered "success" (nothing to show)


def relay(service_url: str, pusher: WeChatPusher, xml: str) -> Relayed:
    signed = pusher.sign(xml)
    try:
        response = requests.post(service_url.rstrip("/") + "/wechat", params=signed.query, data=signed.body.encode(),
                                 headers={"Content-Type": "text/xml"}, timeout=TIMEOUT_SECONDS)
    except requests.Timeout:
        raise RelayError(f"服务在 {TIMEOUT_SECONDS} 秒内没有应答") from None
    except requests.RequestException as exc:
        raise RelayError(f"无法连接服务 {service_url}（{type(exc).__name__}），请确认服务已启动") from None
    body = response.text
    if response.status_code != 200:
        raise RelayError(f"服务拒绝了推送：HTTP {response.status_code} {body[:200]}", response.status_code)
    try:
        return Relayed(200, parse_reply(pusher.open_reply(body, signed.query)))
    except (ParseError, ValueError, KeyError, WeChatException) as exc:
        raise RelayError(f"无法解析服务的回复（{type(exc).__name__}）", 200) from None
