"""`flask wechat ...`: the server settings to enter on the platform, the shared access token's state (masked)
and a forced refresh, and pruning old inbound message records. Features add theirs (push-menu)."""

from datetime import UTC, datetime, timedelta

import click
import requests
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from wechatpy.exceptions import WeChatClientException

from ..shared.timeutil import local_time
from . import dedup
from .client import get_client
from .client.sync import IP_NOT_WHITELISTED, IP_WHITELIST_FIX
from .token_store import (
    FORCED_PER_DAY,
    STABLE,
    ForcedRefreshRefused,
    TokenState,
    TokenStoreError,
    mask_token,
    token_store,
)


def _when(epoch: float) -> str:
    return f"{local_time(datetime.fromtimestamp(epoch, UTC).replace(tzinfo=None)):%Y-%m-%d %H:%M:%S %Z}"


def _condition(state: TokenState, now: float, margin: float) -> str:
    left = state.seconds_left(now)
    if left <= 0:
        return f"已过期 expired {int(-left)} s ago (the next API call fetches a new one)"
    if not state.is_fresh(now, margin):
        return f"即将过期 expires in {int(left)} s (the next API call refreshes it)"
    return f"有效 valid for {int(left)} s"


@click.command("token")
@click.option("--refresh", is_flag=True,
              help="Fetch a new token now (stable_token: a forced refresh, 20 a day, 30 s apart). "
                   "It replaces the current one for every process.")
@with_appcontext
def token_command(refresh: bool) -> None:
    """Show the shared WeChat access token (masked) and when it expires."""
    try:
        store = token_store()
        if refresh:
            get_client().refresh_access_token()
            click.echo("已刷新 Access token refreshed.")
        state = store.current()
    except WeChatClientException as exc:
        if isinstance(exc.__cause__, ForcedRefreshRefused):
            raise click.ClickException(f"未请求微信 not asked: {exc.__cause__}") from None
        if exc.errcode == IP_NOT_WHITELISTED:
            raise click.ClickException(f"微信接口错误 WeChat API error: errcode 40164 (invalid ip, not in whitelist). "
                                       f"{IP_WHITELIST_FIX}") from None
        detail = exc.errmsg if exc.errcode is None else f"errcode {exc.errcode}: {exc.errmsg}"
        raise click.ClickException(f"微信接口错误 WeChat API error: {detail}") from None
    except requests.RequestException as exc:  # its text names no URL (wechat/client/sync.py strips it)
        raise click.ClickException(f"无法连接微信接口 cannot reach the WeChat API: {exc}") from None
    except TokenStoreError as exc:
        raise click.ClickException(f"令牌存储错误 token store error: {exc}") from None
    except Exception as exc:  # store unreachable (database, Redis): say which, not a traceback
        raise click.ClickException(f"无法访问令牌存储 cannot reach the token store ({type(exc).__name__})") from None
    click.echo(f"存储 Store:      {store.kind}")
    click.echo(f"AppID:          {store.app_id}")
    call = "POST /cgi-bin/stable_token" if store.endpoint == STABLE else "GET /cgi-bin/token"
    click.echo(f"接口 Endpoint:   {store.endpoint} ({call})")
    if state is None:
        click.echo("令牌 Token:      (none yet; the first API call fetches one)")
        return
    now = store.clock()
    click.echo(f"令牌 Token:      {mask_token(state.token)}")
    click.echo(f"状态 State:      {_condition(state, now, store.margin)}")
    click.echo(f"过期 Expires:    {_when(state.expires_at)}")
    click.echo(f"获取 Fetched:    {_when(state.updated_at)} (refresh no. {state.version})")
    if store.endpoint == STABLE:
        click.echo(f"强制刷新 Forced: {state.forced_today(now)} of {FORCED_PER_DAY} today")


@click.group("wechat", cls=AppGroup)
def wechat_group() -> None:
    """WeChat official-account tools."""


@wechat_group.command("settings")
def wechat_settings() -> None:
    """Print what to enter in the WeChat platform's server settings (基本配置 → 服务器配置)."""
    config = current_app.config
    mode_names = {"plain": "明文模式 plain", "compat": "兼容模式 compat", "safe": "安全模式 safe"}
    click.echo(f"服务器地址 URL:            https://{config['PUBLIC_DOMAIN']}/wechat")
    click.echo(f"令牌 Token:                {config['WECHAT_TOKEN']}")
    click.echo(f"消息加解密密钥 EncodingAESKey: {config['WECHAT_ENCODING_AES_KEY']}")
    click.echo(f"消息加解密方式 mode:        {mode_names[config['WECHAT_ENCRYPT_MODE']]}")
    if config["WECHAT_SANDBOX"]:
        click.echo("（当前为沙箱模式 sandbox mode: no real WeChat account is used）")




@wechat_group.command("prune-messages")
@click.option("--days", type=click.IntRange(min=1), default=30, show_default=True,
              help="Keep inbound message records this many days.")
def prune_messages(days: int) -> None:
    """Delete old inbound message records (the retry de-dup needs only minutes)."""
    removed = dedup.prune(timedelta(days=days))
    click.echo(f"已清理 {removed} 条消息记录 Removed {removed} inbound message records older than {days} days.")


wechat_group.add_command(token_command)
