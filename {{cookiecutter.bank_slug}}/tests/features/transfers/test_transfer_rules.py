"""Transfer rules without a browser: the limits and the bank's calendar day (reading the amount: test_money.py)."""

from datetime import datetime

import pytest

from {{ cookiecutter.bank_slug }}.features.transfers.limits import (
    DayUsage,
    LimitExceeded,
    TransferLimits,
    check_limits,
    local_day_utc,
)

pytestmark = pytest.mark.smoke

LIMITS = TransferLimits(single_fen=500_000, daily_fen=2_000_000, daily_count=10)


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
