"""Calling the mock WeChat API from tests as the service's client does."""

import json

from {{ cookiecutter.bank_slug }}.sandbox.mock_api.errors import ERRMSG

APP_ID = "wx1234567890abcdef"
APP_SECRET = "0123456789abcdef0123456789abcdef"
FOLLOWER = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"
NOT_FOLLOWING = "oUnfollowedUserXXXXXXXXXXXXX"
UNKNOWN = "oNeverSeenByThisAccountXXXXX"


def token_query(**overrides) -> dict:
    return {"grant_type": "client_credential", "appid": APP_ID, "secret": APP_SECRET, **overrides}


def fetch_token(client) -> str:
    return client.get("/cgi-bin/token", query_string=token_query()).get_json()["access_token"]


def api_post(client, path: str, token: str, body) -> dict:
    data = body if isinstance(body, bytes | str) else json.dumps(body, ensure_ascii=False).encode()
    response = client.post(path, query_string={"access_token": token}, data=data)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def api_get(client, path: str, token: str, **params) -> dict:
    response = client.get(path, query_string={"access_token": token, **params})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def assert_errcode(answer: dict, errcode: int) -> None:
    assert answer["errcode"] == errcode, answer
    assert answer["errmsg"].startswith(ERRMSG[errcode])
    assert " rid: " in answer["errmsg"]
