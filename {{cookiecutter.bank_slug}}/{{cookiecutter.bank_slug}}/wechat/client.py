"""The WeChat API client (wechatpy) for this account.

In sandbox mode (WECHAT_SANDBOX=1) it talks to the local mock WeChat API instead of
api.weixin.qq.com, so every outbound call is exercised without a real account.
"""

from flask import current_app
from wechatpy import WeChatClient

REAL_API_BASE_URL = "https://api.weixin.qq.com/cgi-bin/"


def api_base_url(config) -> str:
    if config["WECHAT_SANDBOX"]:
        return config["WECHAT_SANDBOX_API_URL"].rstrip("/") + "/cgi-bin/"
    return REAL_API_BASE_URL


def make_client(config) -> WeChatClient:
    client = WeChatClient(config["WECHAT_APP_ID"], config["WECHAT_APP_SECRET"], timeout=5)
    client.API_BASE_URL = api_base_url(config)
    return client


def get_client() -> WeChatClient:
    return make_client(current_app.config)
