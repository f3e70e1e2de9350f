"""The mock WeChat API and the simulator fuzzed: every route, with arbitrary path values, query parameters
(with and without a valid access_token) and bodies (JSON of any shape, or bytes that are not JSON), answers
as WeChat would (an errcode) or with a 4xx, never a 500."""

import json
import re
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .mock_calls import fetch_token

JSON = st.recursive(st.none() | st.booleans() | st.integers(min_value=-2**70, max_value=2**70)
                    | st.floats(allow_nan=False) | st.text(max_size=30),
                    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children,
                                                                                     max_size=4), max_leaves=10)
KEYS = st.sampled_from(["touser", "msgtype", "text", "content", "template_id", "data", "url", "openid", "button",
                        "filter", "is_to_all", "tag_id", "clientmsgid", "phone", "nickname", "since", "kind", "x",
                        "appid", "secret", "grant_type", "code", "state", "redirect_uri", "scope", "lang"])
BODIES = st.dictionaries(KEYS, JSON, max_size=6) | JSON
RAW = st.binary(max_size=60) | st.just(b"[" * 3000 + b"]" * 3000)


def routes(app):
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted((rule.methods or set()) & {"GET", "POST", "PUT", "DELETE"}):
            found.append((method, rule.rule))
    return found


@given(data=st.data())
@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_route_survives_fuzzing(mock_app, mock_client, data):
    method, rule = data.draw(st.sampled_from(routes(mock_app)))
    path = re.sub(r"<(?:[a-z]+:)?[a-z_]+>", lambda _: quote(data.draw(st.text(min_size=1, max_size=30)), safe=""),
                  rule)
    query = data.draw(st.dictionaries(KEYS | st.just("access_token"), st.text(max_size=30), max_size=4))
    if data.draw(st.booleans()):
        query["access_token"] = fetch_token(mock_client)
    if method in ("POST", "PUT") and data.draw(st.booleans()):
        body, content_type = data.draw(RAW), data.draw(st.sampled_from(["application/json", "text/plain"]))
    else:
        body = json.dumps(data.draw(BODIES), ensure_ascii=False).encode()
        content_type = "application/json"
    response = mock_client.open(path, method=method, query_string=query, data=body, content_type=content_type)
    assert response.status_code < 500, (method, path, query, body[:200], response.get_data(as_text=True)[:300])
