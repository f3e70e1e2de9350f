"""Sending one notice and classifying what happened, so the dispatcher knows what to do next.

The HTTP, the event loop and the shared token are the async WeChat client's (wechat/client/aio.py);
this module says what WeChat's answer means for a notice.

WeChat's answers that matter here (template message send, customer-service message send):
- errcode 0: delivered; the msgid is kept.
- 43004 (the user does not follow the account) and 40003 (invalid openid): WeChat cannot deliver,
  now or later: SMS if the customer opted in, else undeliverable. Never both channels.
- 45015 (customer-service message outside the 48-hour window): likewise (channels.py).
- 45009 (daily API quota reached): pause all sending and retry later.
- 40001 / 40014 / 42001 (token): the client already replaced the shared token once and retried;
  if that failed too, retry later like a transient error.
- -1 (system busy), HTTP 5xx, timeouts and connection errors: retry with backoff.
- anything else (47003 bad data, 40037 bad template id ...): the message itself is unfit; retrying
  will not help: undeliverable with the errcode.
"""

from dataclasses import dataclass

from ..wechat.client import TOKEN_ERRCODES
from ..wechat.client.aio import TEMPLATE_SEND_PATH, TOKEN, ApiAnswer, AsyncWeChatClient
from ..wechat.client.aio import CachedTokenStore as CachedTokenStore  # the dispatcher's, from here

NOT_FOLLOWING = 43004
INVALID_OPENID = 40003
QUOTA_REACHED = 45009
SYSTEM_BUSY = -1
WINDOW_CLOSED = 45015
OUT_OF_COUNT = 45047  # the window's customer-service message count is used up
CUSTOM_SEND_PATH = "message/custom/send"

SENT = "sent"
NO_WECHAT = "no_wechat"  # 43004 / 40003 / 45015 / 45047: try SMS
RETRY = "retry"
PAUSE = "pause"  # 45009
REJECTED = "rejected"


@dataclass(slots=True)  # one per send: not frozen, cheaper to build
class SendResult:
    outcome: str
    msgid: str | None = None
    errcode: int | None = None
    error: str = ""


class TemplateSender(AsyncWeChatClient):
    """The async WeChat client (wechat/client/aio.py: its own event loop, `submit`, `in_thread`, the
    shared token replaced once on 40001/40014/42001) answering in the dispatcher's outcomes."""

    async def send(self, payload: dict, path: str = TEMPLATE_SEND_PATH) -> SendResult:
        """A template message, or a customer-service message with `path=CUSTOM_SEND_PATH`."""
        return outcome(await self.post(path, payload))


def outcome(answer: ApiAnswer) -> SendResult:
    """What a send answer means for the notice."""
    if answer.failure == TOKEN:  # the token endpoint is down or refused us: retry the alert later
        return token_failure(answer)
    if answer.failure:  # timeout, refused, reset, HTTP error, not JSON
        return SendResult(RETRY, error=answer.error)
    if answer.errcode == 0:
        return SendResult(SENT, msgid=answer.msgid)
    return classify_errcode(answer.errcode, answer.errmsg)


def token_failure(answer: ApiAnswer) -> SendResult:
    """No access token: 45009 (quota) pauses like a refused send; anything else (WeChat down, a
    wrong AppSecret) is retried later, it says nothing about the alert itself."""
    if answer.errcode == QUOTA_REACHED:
        return SendResult(PAUSE, errcode=QUOTA_REACHED, error=f"errcode 45009 ({answer.error})")
    return SendResult(RETRY, errcode=answer.errcode, error=answer.error)


def classify_errcode(errcode, errmsg) -> SendResult:
    try:
        code = int(errcode) if errcode is not None else None
    except (TypeError, ValueError):
        code = None
    error = f"errcode {code}: {errmsg}"[:200] if code is not None else "HTTP error from WeChat"
    if code in (NOT_FOLLOWING, INVALID_OPENID, WINDOW_CLOSED, OUT_OF_COUNT):
        return SendResult(NO_WECHAT, errcode=code, error=error)
    if code == QUOTA_REACHED:
        return SendResult(PAUSE, errcode=code, error=error)
    if code is None or code == SYSTEM_BUSY or code in TOKEN_ERRCODES:
        return SendResult(RETRY, errcode=code, error=error)
    return SendResult(REJECTED, errcode=code, error=error)

