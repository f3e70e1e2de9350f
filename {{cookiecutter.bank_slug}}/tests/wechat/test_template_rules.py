"""WeChat's template keyword rules, owned by the service (wechat/template_rules.py) and applied by the mock."""

import pytest

from {{ cookiecutter.bank_slug }}.sandbox.mock_api import template_views
from {{ cookiecutter.bank_slug }}.wechat import template_rules
from {{ cookiecutter.bank_slug }}.wechat.template_rules import fit_payload, fit_value, keyword_type, value_problem


@pytest.mark.parametrize(("keyword", "value"), [
    ("thing1", "转账支出"), ("thing1", "二" * 20), ("number2", "12345"), ("number2", "-3.5"),
    ("amount3", "¥500.00"), ("amount3", "500元"), ("time4", "2024年05月01日 14:30"), ("time4", "14:30"),
    ("date5", "2024-05-01"), ("character_string6", "6228 **** 1234"), ("character_string6", "A" * 32),
    ("phrase7", "转账成功"), ("phone_number8", "0571-12345678"), ("name9", "张*"[:1] + "伟"),
    ("letter10", "ABC"), ("symbol11", "★"), ("car_number12", "浙A12345"), ("const13", "动账提醒"),
])
def test_values_that_fit(keyword, value):
    assert value_problem(keyword, value) is None


@pytest.mark.parametrize(("keyword", "value", "problem"), [
    ("thing1", "", "is empty"), ("thing1", None, "is empty"), ("thing1", "二" * 21, "invalid"),
    ("thing1", "两行\n内容", "invalid"), ("number2", "十二", "invalid"), ("amount3", "五百元", "invalid"),
    ("amount3", "¥12345678901.00", "invalid"), ("time4", "昨天下午", "invalid"), ("date5", "昨天", "invalid"),
    ("character_string6", "尾号1234", "invalid"), ("character_string6", "A" * 33, "invalid"),
    ("phrase7", "转账已经成功了", "invalid"), ("phrase7", "OK", "invalid"), ("name9", "0018", "invalid"),
    ("letter10", "A1", "invalid"), ("symbol11", "★★★★★★", "invalid"), ("amount3", 500, "invalid"),
])
def test_values_that_do_not_fit(keyword, value, problem):
    assert value_problem(keyword, value) == problem


def test_keyword_types_come_from_the_name_and_unknown_ones_are_thing():
    assert keyword_type("character_string12") == "character_string"
    assert keyword_type("amount2") == "amount" and keyword_type("weird9") == "thing"


def test_thing_is_shortened_and_whitespace_folded_other_types_are_never_changed():
    value, adapted, problem = fit_value("thing1", "一二三四五六七八九十" * 3)
    assert (len(value), value[-1], adapted, problem) == (20, "…", True, None)
    assert fit_value("thing1", "两行\n内容") == ("两行 内容", True, None)
    assert fit_value("phrase3", "转账已经成功了") == (None, False, "invalid")
    assert fit_value("amount2", "¥500.00") == ("¥500.00", False, None)


def test_fit_payload_names_every_unfit_keyword_and_keeps_the_rest():
    fitted = fit_payload({"touser": "o", "template_id": "t", "data": {
        "thing1": {"value": "很长的交易类型说明文字超过了二十个字的限制呀"}, "amount2": {"value": "五百"},
        "name3": {"value": "0018"}}})
    assert not fitted.ok and fitted.adapted == ("thing1",)
    assert fitted.problems == ("amount2 (amount): invalid", "name3 (name): invalid")
    assert fitted.payload["touser"] == "o" and len(fitted.payload["data"]["thing1"]["value"]) == 20


def test_the_mock_applies_the_services_table():
    assert template_views.value_problem is template_rules.value_problem
