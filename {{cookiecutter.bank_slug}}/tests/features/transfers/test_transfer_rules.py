"""Transfer rules without a browser: yuan text to fen exactly, the limits, the bank's calendar day."""

from datetime import datetime

import pytest

from {{ cookiecutter.bank_slug }}.features.transfers.limits import (
    DayUsage,
    LimitExceeded,
    TransferLimits,
    check_limits,
    local_day_utc,
)
from {{ cookiecutter.bank_slug }}.shared.money import AmountError, format_yuan, parse_yuan

pytestmark = pytest.mark.smoke

LIMITS = TransferLimits(single_fen=500_000, daily_fen=2_000_000, daily_count=10)


@pytest.mark.parametrize("text,fen", [
    ("1", 100),
    ("0.01", 1),
    ("0.1", 10),
    ("100.5", 10050),
    ("100.50", 10050),
    ("  88.88 ", 8888),
    ("007", 700),
    ("１２３．４５", 12345),  # full-width digits from a Chinese keyboard
    ("12元", 1200),
    ("4999.99", 499999),
    ("0.29", 29),  # float(0.29) * 100 == 28.999999999999996
    ("1.13", 113),
    ("999999999999.99", 99999999999999),
])
def test_amounts_parse_to_exact_fen(text, fen):
    assert parse_yuan(text) == fen


@pytest.mark.parametrize("text,reason", [
    ("", "请输入转账金额"),
    ("   ", "请输入转账金额"),
    (None, "请输入转账金额"),
    ("1.234", "两位小数"),
    ("0.001", "两位小数"),
    ("-5", "负数"),
    ("-0.01", "负数"),
    ("0", "大于 0"),
    ("0.00", "大于 0"),
    ("000", "大于 0"),
    ("1e3", "格式不正确"),
    ("nan", "格式不正确"),
    ("inf", "格式不正确"),
    ("1,000", "格式不正确"),
    ("+5", "格式不正确"),
    (".5", "格式不正确"),
    ("5.", "格式不正确"),
    ("1 000", "格式不正确"),
    ("１２３４５６７８９０１２３４５６７", "过长"),
    ("9" * 17, "过长"),
    ("9999999999999", "过大"),
    ("0x10", "格式不正确"),
    ("١٢٣", "格式不正确"),  # Arabic-Indic digits are digits to Python's \d, not to a bank
])
def test_bad_amounts_are_refused_with_a_chinese_reason(text, reason):
    with pytest.raises(AmountError) as caught:
        parse_yuan(text)
    assert reason in caught.value.message


@pytest.mark.parametrize("fen,text", [
    (0, "0.00"), (1, "0.01"), (12345, "123.45"), (500_000, "5,000.00"), (-1050, "-10.50"),
    (99999999999999, "999,999,999,999.99"),
])
def test_fen_are_shown_as_yuan(fen, text):
    assert format_yuan(fen) == text


def test_within_every_limit_passes():
    check_limits(LIMITS, 500_000, DayUsage(count=9, total_fen=1_500_000))


@pytest.mark.parametrize("amount,used,reason", [
    (500_001, DayUsage(0, 0), "单笔转账限额 5,000.00 元"),
    (100, DayUsage(10, 1_000), "10 笔上限"),
    (100_000, DayUsage(3, 1_950_000), "日累计转账限额 20,000.00 元（今日剩余 500.00 元）"),
    (1, DayUsage(1, 2_000_000), "今日剩余 0.00 元"),
])
def test_each_limit_is_refused_with_its_reason(amount, used, reason):
    with pytest.raises(LimitExceeded) as caught:
        check_limits(LIMITS, amount, used)
    assert reason in caught.value.message


def test_the_day_is_the_banks_calendar_day():
    # 2026-11-23 17:30 UTC is already 2026-11-24 01:30 in Shanghai: that day began at 16:00 UTC.
    start, end = local_day_utc(datetime(2026, 11, 23, 17, 30), "Asia/Shanghai")
    assert (start, end) == (datetime(2026, 11, 23, 16, 0), datetime(2026, 11, 24, 16, 0))
    start, end = local_day_utc(datetime(2026, 11, 23, 15, 59), "Asia/Shanghai")
    assert (start, end) == (datetime(2026, 11, 22, 16, 0), datetime(2026, 11, 23, 16, 0))
    start, end = local_day_utc(datetime(2026, 11, 23, 12, 0), "UTC")
    assert (start, end) == (datetime(2026, 11, 23), datetime(2026, 11, 24))
