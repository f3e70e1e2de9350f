"""`flask wechat token`: the shared access token's state (masked), and a forced refresh."""

from datetime import UTC, datetime

import click
import requests
from flask.cli import with_appcontext
from wechatpy.exceptions import WeChatClientException

from ..timeutil import local_time
from .client import get_client
from .token_store import TokenState, TokenStoreError, mask_token, token_store


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
              help="Fetch a new token now. It replaces the current one for every process.")
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
        detail = exc.errmsg if exc.errcode is None else f"errcode {exc.errcode}: {exc.errmsg}"
        raise click.ClickException(f"微信接口错误 WeChat API error: {detail}") from None
    except requests.RequestException as exc:  # its text names no URL (wechat/client.py strips it)
        raise click.ClickException(f"无法连接微信接口 cannot reach the WeChat API: {exc}") from None
    except TokenStoreError as exc:
        raise click.ClickException(f"令牌存储错误 token store error: {exc}") from None
    except Exception as exc:  # store unreachable (database, Redis): say which, not a traceback
        raise click.ClickException(f"无法访问令牌存储 cannot reach the token store ({type(exc).__name__})") from None
    click.echo(f"存储 Store:      {store.kind}")
    click.echo(f"AppID:          {store.app_id}")
    if state is None:
        click.echo("令牌 Token:      (none yet; the first API call fetches one)")
        return
    now = store.clock()
    click.echo(f"令牌 Token:      {mask_token(state.token)}")
    click.echo(f"状态 State:      {_condition(state, now, store.margin)}")
    click.echo(f"过期 Expires:    {_when(state.expires_at)}")
    click.echo(f"获取 Fetched:    {_when(state.updated_at)} (refresh no. {state.version})")
