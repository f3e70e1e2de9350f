"""WeChat's error codes and messages (全局返回码) as the real API sends them: HTTP 200 with JSON
`{"errcode": N, "errmsg": "..."}`, the message followed by a request id (`rid: ...`)."""

import secrets

from flask import jsonify

ERRMSG = {
    -1: "system error",
    0: "ok",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40003: "invalid openid",
    40007: "invalid media_id",
    40008: "invalid message type",
    40013: "invalid appid",
    40016: "invalid button size",
    40017: "invalid button type",
    40018: "invalid button name size",
    40019: "invalid button key size",
    40020: "invalid button url size",
    40022: "invalid sub menu level",
    40023: "invalid sub button size",
    40024: "invalid sub button type",
    40025: "invalid sub button name size",
    40026: "invalid sub button key size",
    40027: "invalid sub button url size",
    40029: "invalid code",
    40032: "invalid openid list size",
    40035: "invalid args",
    40037: "invalid template_id",
    40039: "invalid url size",
    40052: "invalid action name",
    40053: "invalid action info",
    40125: "invalid appsecret",
    40130: "invalid openid list size, at least two openid",
    40163: "code been used",
    40164: "invalid ip",
    41001: "access_token missing",
    41002: "appid missing",
    41004: "appsecret missing",
    41008: "missing code",
    41009: "missing openid",
    42001: "access_token expired",
    43001: "require GET method",
    43002: "require POST method",
    43004: "require subscribe",
    44002: "empty post data",
    44003: "empty news data",
    44004: "empty content",
    45002: "content size out of limit",
    45008: "article size out of limit",
    45009: "reach max api daily quota limit",
    45015: "response out of time limit or subscription is canceled",
    45047: "out of response count limit",
    45003: "title size out of limit",
    45004: "description size out of limit",
    45056: "too many tags now, no need to add new",
    45058: "can't modify sys tag",
    45059: "has too many tags on user",
    45065: "clientmsgid exist",
    45110: "author size out of limit",
    45157: "invalid tag name",
    45158: "tag name too long",
    45159: "invalid tag id",
    46003: "menu no exist",
    47001: "data format error",
    47003: "argument invalid!",
    48001: "api unauthorized",
    49003: "not match openid with appid",
    53503: "the draft failed publish check",
    61500: "date format error",
    61501: "date range error",
}


class WeChatError(Exception):
    """Raised by a mock view; answered as WeChat answers errors."""

    def __init__(self, errcode: int, detail: str | None = None):
        super().__init__(errcode)
        self.errcode = errcode
        self.detail = detail

    @property
    def errmsg(self) -> str:
        message = ERRMSG[self.errcode]
        return f"{message} {self.detail}" if self.detail else message


def request_id() -> str:
    return "-".join(secrets.token_hex(4) for _ in range(3))


def error_response(errcode: int, detail: str | None = None, status: int = 200):
    error = WeChatError(errcode, detail)
    return jsonify(errcode=errcode, errmsg=f"{error.errmsg} rid: {request_id()}"), status


def ok(errmsg: str = "ok", **fields):
    return jsonify(errcode=0, errmsg=errmsg, **fields)
