"""The branch finder (网点搜索): nearest open branches, self-service areas and ATMs first, with the distance,
"open now" from the hours, the phone and a Tencent Maps link; from a location message, the menu's location_select
button, or 网点 after WeChat reported a location; the H5 list; hostile coordinates refused with a reason; and a
bounding-box query that reads only the rows near the point, whatever the network's size."""

import random
import time
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, update

from {{ cookiecutter.bank_slug }}.core_banking.models import Branch
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.branches import service as branches
from {{ cookiecutter.bank_slug }}.features.info import finder
from {{ cookiecutter.bank_slug }}.features.info.models import UserLocation
from {{ cookiecutter.bank_slug }}.h5.oauth import SESSION_CUSTOMER
from {{ cookiecutter.bank_slug }}.sandbox.wechat_push import WeChatPusher, message_xml, text_message
from {{ cookiecutter.bank_slug }}.shared.geo import distance_m
from {{ cookiecutter.bank_slug }}.shared.hours import HoursError, open_at, parse_hours

from ...helpers import next_msg_id, push, reply_field

OPENID = "oFinder00000000000000000001"
HOME = (30.274500, 120.155600)  # beside the 营业部 of the demo data


def log_in(client, openid=OPENID):
    """A customer identified through OAuth2 (tests/h5/test_h5_oauth.py walks the real redirect dance)."""
    with client.session_transaction() as session:
        session[SESSION_CUSTOMER] = {"openid": openid, "at": int(time.time())}


@pytest.fixture
def app(make_app):
    app = make_app(WECHAT_ENCRYPT_MODE="safe", TENCENT_MAP_REFERER="test-bank")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    return app


def _location_message(lat, lng, openid=OPENID) -> str:
    return message_xml("gh_sandbox", openid, "location", {"Location_X": f"{lat:.6f}", "Location_Y": f"{lng:.6f}",
                                                          "Scale": "15", "Label": "某处", "MsgId": str(next_msg_id())})


def _send(app, xml) -> str:
    """The reply's text ("" for "success")."""
    reply = push(app.test_client(), WeChatPusher.from_config(app.config), xml)[1]
    return reply_field(reply, "Content") if reply else ""


# --- opening hours ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "at", "expected"), [
    ("周一至周五 9:00-17:00，周六 9:00-12:00", datetime(2026, 12, 5, 11, 59), True),  # a Saturday morning
    ("周一至周五 9:00-17:00，周六 9:00-12:00", datetime(2026, 12, 5, 12, 0), False),  # the end is exclusive
    ("周一至周五 9:00-17:00，周六 9:00-12:00", datetime(2026, 12, 6, 10, 0), False),  # Sunday
    ("工作日 9:00-12:00 13:30-17:00", datetime(2026, 12, 3, 12, 30), False),  # the lunch break
    ("工作日 9:00-12:00 13:30-17:00", datetime(2026, 12, 3, 13, 30), True),
    ("24小时", datetime(2026, 12, 6, 3, 0), True),
    ("周六、周日 10:00-16:00", datetime(2026, 12, 3, 11, 0), False),
    ("周五至周一 8:00-24:00", datetime(2026, 12, 7, 23, 59), True),  # a span across the week's end (Monday)
    ("周五至周一 8:00-24:00", datetime(2026, 12, 8, 9, 0), False),  # Tuesday
    ("营业时间另行通知", datetime(2026, 12, 3, 11, 0), None),  # unreadable: "open now" is not claimed
    ("", datetime(2026, 12, 3, 11, 0), None),
])
def test_open_now_follows_the_hours(text, at, expected):
    assert open_at(text, at) is expected


@pytest.mark.parametrize(("text", "reason"), [
    ("随时", "没有营业时段"), ("周八 9:00-10:00", "周八"), ("周一 17:00-9:00", "晚于"), ("周一 9:00-25:00", "不存在"),
    ("周一 9:00-12:00 下午 2:00-5:00", "下午"),
])
def test_unreadable_hours_are_refused_with_the_reason(text, reason):
    with pytest.raises(HoursError, match=reason):
        parse_hours(text)


def test_staff_cannot_save_hours_the_finder_cannot_read(app):
    with app.app_context(), pytest.raises(branches.BranchError, match="营业时间请写成"):
        branches.add({"code": "9901", "name": "新网点", "opening_hours": "看情况"})
    with app.app_context(), pytest.raises(branches.BranchError, match="网点类型"):
        branches.add({"code": "9902", "name": "新网点", "kind": "bank"})


# --- nearest ------------------------------------------------------------------------------------------

def test_nearest_first_with_distance_state_and_map_link(app):
    ten_on_thursday = datetime(2026, 12, 3, 10, 0, tzinfo=ZoneInfo(app.config["TIMEZONE"]))  # the bank's time zone
    with app.test_request_context():
        places = finder.nearby(*HOME, limit=5, now=ten_on_thursday.astimezone(UTC).replace(tzinfo=None))
    assert [place.code for place in places][:2] == ["0001", "A001"]  # 营业部 ~60 m, then the self-service area
    distances = [distance_m(*HOME, *_coordinates(app, place.code)) for place in places]
    assert distances == sorted(distances)
    first = places[0]
    assert first.kind == "营业网点" and first.open_now is True and first.distance.endswith(" m")
    query = parse_qs(urlsplit(first.map_url).query)
    assert urlsplit(first.map_url).netloc == "apis.map.qq.com" and query["referer"] == ["test-bank"]
    assert query["marker"][0].startswith("coord:30.274085,120.155070;title:营业部;addr:人民路 88 号")


def _coordinates(app, code):
    with app.app_context():
        branch = branches.by_code(code)
        return branch.latitude, branch.longitude


def test_closed_branches_and_branches_without_coordinates_are_not_found(app):
    with app.app_context():
        db.session.execute(update(Branch).where(Branch.code == "0001").values(closed_at=datetime(2026, 1, 1)))
        db.session.execute(update(Branch).where(Branch.code == "A001").values(latitude=None, longitude=None))
        db.session.commit()
    with app.test_request_context():
        codes = [place.code for place in finder.nearby(*HOME, limit=10)]
    assert "0001" not in codes and "A001" not in codes and codes


def test_three_thousand_branches_are_searched_by_a_box_not_a_scan(app):
    rng = random.Random(7)
    with app.app_context():
        db.session.add_all(Branch(code=f"X{n:04d}", name=f"网点{n}", kind="branch",
                                  latitude=rng.uniform(20, 45), longitude=rng.uniform(100, 122)) for n in range(3000))
        db.session.commit()
        statements = []
        listener = lambda conn, cursor, statement, params, context, many: statements.append(params)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            found = branches.nearest_branches(*HOME, limit=3)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        located = db.session.query(Branch).filter(Branch.latitude.is_not(None), Branch.closed_at.is_(None))
        everyone = [(branch, distance_m(*HOME, branch.latitude, branch.longitude)) for branch in located]
    expected = sorted(everyone, key=lambda pair: (pair[1], pair[0].code))[:3]
    assert [branch.code for branch, _ in found] == [branch.code for branch, _ in expected]
    assert statements and all(len(params) >= 4 for params in statements)  # every read bounded by lat/lng ranges


# --- in chat ------------------------------------------------------------------------------------------

def test_a_location_message_gets_the_nearest_branches(app):
    reply = _send(app, _location_message(*HOME))
    lines = reply.splitlines()
    assert lines[0].startswith("离您最近的") and lines[1].startswith("1. 营业部（营业网点）")
    assert reply.count("apis.map.qq.com/uri/v1/marker") == 3 and "电话 0571-8800 0001" in reply


def test_a_location_outside_china_gets_the_plain_acknowledgement(app):
    reply = _send(app, _location_message(48.8566, 2.3522))
    assert reply.startswith("已收到您发送的位置") and "apis.map.qq.com" not in reply


def test_branches_after_a_location_report_are_sorted_by_distance(app):
    market = (30.283000, 120.199000)  # beside 城东支行
    assert _send(app, message_xml("gh_sandbox", OPENID, "event", {
        "Event": "LOCATION", "Latitude": str(market[0]), "Longitude": str(market[1]), "Precision": "30"})) == ""
    reply = _send(app, text_message(OPENID, "网点", next_msg_id()))
    assert reply.splitlines()[1].startswith("1. 城东支行")
    with app.app_context():  # a report older than a day is not used: the plain list, with the hint
        db.session.execute(update(UserLocation).values(updated_at=datetime(2020, 1, 1)))
        db.session.commit()
    reply = _send(app, text_message(OPENID, "网点", next_msg_id()))
    assert not reply.startswith("离您最近") and "发送位置" in reply


def test_the_menu_location_select_event_is_answered_success(app):
    info = {"Location_X": "30.27", "Location_Y": "120.15", "Scale": "15", "Label": "x", "Poiname": ""}
    xml = message_xml("gh_sandbox", OPENID, "event", {"Event": "location_select", "EventKey": "NEAR_BRANCHES",
                                                      "SendLocationInfo": info})
    assert _send(app, xml) == ""  # the place itself follows as a location message (tested above)


# --- H5 -----------------------------------------------------------------------------------------------

def test_the_h5_list_is_sorted_by_the_browsers_location(app):
    client = app.test_client()
    log_in(client)
    page = client.get("/h5/branches?lat=30.283000&lng=120.199000")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-testid="sorted-by"' in body
    codes = [part.split('"')[0] for part in body.split('data-testid="branch" data-code="')[1:]]
    assert codes[0] == "0101" and set(codes) == {"0001", "0101", "0201", "A001", "A002"}
    assert body.count('data-testid="map-link"') == 5


def test_the_h5_list_without_a_location_lists_by_code(app):
    client = app.test_client()
    log_in(client)
    body = client.get("/h5/branches").get_data(as_text=True)
    codes = [part.split('"')[0] for part in body.split('data-testid="branch" data-code="')[1:]]
    assert codes == sorted(codes) and 'data-testid="use-location"' in body


@pytest.mark.parametrize(("query", "reason"), [
    ("lat=30.2", "同时给出"), ("lat=abc&lng=1", "数字"), ("lat=nan&lng=nan", "数字"), ("lat=inf&lng=120", "数字"),
    ("lat=48.85&lng=2.35", "服务范围"), ("lat=" + "1" * 30 + "&lng=1", "数字"), ("lat=91&lng=0", "服务范围"),
])
def test_the_h5_list_refuses_bad_coordinates_with_a_reason(app, query, reason):
    client = app.test_client()
    log_in(client)
    page = client.get(f"/h5/branches?{query}")
    assert page.status_code == 400 and reason in page.get_data(as_text=True)
