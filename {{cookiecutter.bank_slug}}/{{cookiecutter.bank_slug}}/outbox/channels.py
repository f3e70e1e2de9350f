"""The one rule for how a notice reaches the customer, so a notice never goes by two channels.

0. The customer's choice for the card (transaction alerts): the app (when the bank configured its push
   platform, and until APP_PUSH_MAX_ATTEMPTS attempts failed) or SMS (to the phone verified at binding);
   a customer who chose WeChat, and every other notice, follow the rules below. When the app cannot
   deliver, the notice falls back to the template message, else SMS where possible (app_push.py: the
   event id and its deadline keep the app from showing it as well).
1. A template message when the topic has a template configured (notices are what templates are for); a topic
   that prefers the window (a staff reply in a conversation) goes as a customer-service message first while the
   window is open and has room, and by its template only outside it.
2. Otherwise a customer-service (客服) text message, only while a window the customer opened is open and
   has room (wechat/window.py: 48 h and 5 messages after the customer's own message, 1 minute and 3
   messages after a menu click, follow or scan; outside WeChat answers 45015, over the count 45047).
3. Otherwise, or when WeChat cannot deliver (43004 not following, 40003 invalid openid, 45015 window
   closed, 45047 count used up), SMS where the customer opted in and a phone is known.
4. Otherwise undeliverable, with the reason.

A fallback happens only after WeChat said it did not deliver: the notice then goes by SMS instead, never
as well. Retried errors (timeouts, -1, 5xx) retry the same channel.
"""

from .models import (
    CHANNEL_APP,
    CHANNEL_CUSTOMER_SERVICE,
    CHANNEL_SMS,
    CHANNEL_WECHAT,
    REASON_INVALID_OPENID,
    REASON_NOT_FOLLOWING,
    REASON_WINDOW_CLOSED,
)
from .topics import Recipient

NOT_FOLLOWING = 43004
INVALID_OPENID = 40003
WINDOW_CLOSED = 45015  # response out of time limit: outside every customer-service window
OUT_OF_COUNT = 45047  # out of response count limit: the window's count is used up
NO_WECHAT_ERRCODES = (NOT_FOLLOWING, INVALID_OPENID, WINDOW_CLOSED, OUT_OF_COUNT)


def first_channel(has_template: bool, recipient: Recipient, window_open: bool,
                  prefer_window: bool = False, app_allowed: bool = False) -> str | tuple[None, str]:
    """The channel to try, or (None, reason) when there is none."""
    if recipient.channel == CHANNEL_APP and app_allowed:
        return CHANNEL_APP
    if recipient.channel == CHANNEL_SMS and recipient.sms_phone:
        return CHANNEL_SMS
    if recipient.following:
        if prefer_window and window_open:
            return CHANNEL_CUSTOMER_SERVICE
        if has_template:
            return CHANNEL_WECHAT
        if window_open:
            return CHANNEL_CUSTOMER_SERVICE
    if recipient.sms_possible:
        return CHANNEL_SMS
    return None, (REASON_NOT_FOLLOWING if not recipient.following else REASON_WINDOW_CLOSED)


def no_wechat_reason(errcode: int | None) -> str:
    """Why WeChat could not deliver, for the notice's final_reason (or the SMS fallback's cause)."""
    if errcode == NOT_FOLLOWING:
        return REASON_NOT_FOLLOWING
    if errcode in (WINDOW_CLOSED, OUT_OF_COUNT):
        return REASON_WINDOW_CLOSED
    return REASON_INVALID_OPENID
