"""bench/mock_server.py: the mock WeChat API behind an asyncio server, its latency awaited, not slept.

The alerts benchmark's figures rest on it, so it must be the mock itself (tokens, template checks,
records, faults) and must hold a waiting call without holding up the others."""

import asyncio
import importlib.util
import json
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from {{ cookiecutter.bank_slug }}.sandbox.mock_api.faults import Faults
from {{ cookiecutter.bank_slug }}.sandbox.run import sandbox_mock_app

BENCH = Path(__file__).resolve().parents[3] / "bench" / "mock_server.py"
OPENID = "oBenchMockServer000000000001"


def _module():
    spec = importlib.util.spec_from_file_location("bench_mock_server", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _serve(app, scenario):
    mock = sandbox_mock_app(app, "http://127.0.0.1:5000")
    state = mock.extensions["mock_wechat"]
    state.add_user(OPENID, subscribed=True)
    server_app = _module().build(mock)

    async def run():
        client = TestClient(TestServer(server_app))
        await client.start_server()
        try:
            return await scenario(client, state)
        finally:
            await client.close()

    return asyncio.run(run())


async def _token(client, app) -> str:
    answer = await client.get("/cgi-bin/token", params={
        "grant_type": "client_credential", "appid": app.config["WECHAT_APP_ID"],
        "secret": app.config["WECHAT_APP_SECRET"]})
    return (await answer.json())["access_token"]


def _template_body(app) -> bytes:
    values = {"thing1": "消费", "amount2": "¥1.00", "time3": "2026年11月23日 09:30", "character_string4": "0018",
              "amount5": "¥100.00"}
    return json.dumps({"touser": OPENID, "template_id": app.config["ALERT_TEMPLATE_ID"],
                       "data": {k: {"value": v} for k, v in values.items()}}, ensure_ascii=False).encode()


def test_calls_run_through_the_mock_itself(make_app):
    app = make_app()

    async def scenario(client, state):
        token = await _token(client, app)
        sent = await client.post(f"/cgi-bin/message/template/send?access_token={token}", data=_template_body(app),
                                 headers={"Content-Type": "application/json"})
        refused = await client.post("/cgi-bin/message/template/send?access_token=wrong", data=_template_body(app),
                                    headers={"Content-Type": "application/json"})
        unfit = await client.post(f"/cgi-bin/message/template/send?access_token={token}",
                                  data=json.dumps({"touser": OPENID, "template_id": "nope"}),
                                  headers={"Content-Type": "application/json"})
        state.faults = Faults.from_json({"http_5xx_rate": 1.0})
        failing = await client.post(f"/cgi-bin/message/template/send?access_token={token}", data=_template_body(app))
        return (sent.status, await sent.json(), await refused.json(), await unfit.json(), failing.status,
                state.records_since(kind="template"))

    status, sent, refused, unfit, failing, records = _serve(app, scenario)
    assert status == 200 and sent["errcode"] == 0 and sent["msgid"]
    assert refused["errcode"] == 40001 and unfit["errcode"] == 40037
    assert failing == 503
    assert [record.openid for record in records] == [OPENID]
    assert records[0].payload["data"]["amount2"]["value"] == "¥1.00"


def test_a_call_waiting_out_its_latency_does_not_hold_up_the_others(make_app):
    app = make_app()

    async def scenario(client, state):
        token = await _token(client, app)
        state.faults = Faults.from_json({"latency_ms": 3000})
        slow = asyncio.ensure_future(client.post(f"/cgi-bin/message/template/send?access_token={token}",
                                                 data=_template_body(app)))
        while state.api_calls < 2:  # the token call, then the slow one has reached the mock
            await asyncio.sleep(0.01)
        stats = await client.get("/_mock/stats")  # not a WeChat API path: no latency
        answered_while_slow_waits = not slow.done()
        slow_answer = await (await slow).json()
        return (await stats.json(), answered_while_slow_waits, slow_answer)

    stats, answered_while_slow_waits, slow_answer = _serve(app, scenario)
    assert stats["api_calls"] == 2
    assert answered_while_slow_waits
    assert slow_answer["errcode"] == 0
