"""Demo branches, customers (fictitious people with well-formed ID numbers) and their ledger
accounts for `seed-demo`."""

from datetime import date

from .cards import with_check_digit
from .identity import id_check_char  # GB 11643; also imported from here by older code

# code, name, address, phone, opening hours, latitude, longitude (GCJ-02; fictitious places)
BRANCHES = [
    ("0001", "营业部", "人民路 88 号", "0571-8800 0001", "周一至周日 8:30-17:00", 30.274085, 120.155070),
    ("0101", "城东支行", "城东大道 16 号", "0571-8800 0101", "周一至周五 9:00-17:00，周六 9:00-12:00",
     30.281940, 120.201362),
    ("0201", "河西支行", "河西街 203 号", "0571-8800 0201", "周一至周五 9:00-17:00", 30.259244, 120.130633),
]

# the branches' services, and the demo's self-service areas and ATMs (kind, as features/branches/service.py KINDS):
# code, name, address, opening hours, latitude, longitude, kind, services
BRANCH_SERVICES = {"0001": "个人业务、对公业务、外币兑换、保管箱", "0101": "个人业务、对公业务", "0201": "个人业务"}
SELF_SERVICE_POINTS = [
    ("A001", "文三路自助银行", "文三路 100 号", "24小时", 30.278600, 120.140200, "self_service", "存取款、转账、缴费"),
    ("A002", "火车东站 ATM", "火车东站东广场", "每天 6:00-23:00", 30.291200, 120.212500, "atm", "取款"),
]

# name, birth date, sequence (3 digits, odd = male), mobile, branch code
CUSTOMERS = [
    ("张伟", date(1985, 3, 12), "013", "13800138001", "0001"),
    ("李娜", date(1990, 7, 25), "024", "13900139002", "0001"),
    ("王芳", date(1978, 11, 2), "046", "13700137003", "0101"),
    ("刘洋", date(1995, 1, 30), "057", "15800158004", "0101"),
    ("陈静", date(1982, 9, 9), "068", "18600186005", "0201"),
    ("欧阳明", date(1970, 5, 18), "079", "18800188006", "0201"),
]

REGION = "330100"  # a prefecture-level region code


def id_number(birth: date, sequence: str) -> str:
    first17 = f"{REGION}{birth:%Y%m%d}{sequence}"
    return first17 + id_check_char(first17)


# Demo card accounts: BIN + 12-digit serial + Luhn check digit = 19 digits.
CARD_BIN = "622848"
# The transaction PIN of every demo account. DEMO ONLY: published here, never use it for real money.
DEMO_PIN = "147258"

# customer name (from CUSTOMERS), opening balance in fen; serials follow this order (1, 2, ...)
ACCOUNTS = [
    ("张伟", 5_000_000),
    ("张伟", 128_800),
    ("李娜", 2_345_600),
    ("王芳", 880_000),
    ("王芳", 15_000_000),
    ("刘洋", 66_600),
    ("陈静", 1_200_000),
    ("欧阳明", 30_000_000),
    ("欧阳明", 500),
]


def card_number(serial: int) -> str:
    return with_check_digit(f"{CARD_BIN}{serial:012d}")


# Demo credit cards: BIN + 9-digit serial + Luhn check digit = 16 digits (serials in this order).
CREDIT_CARD_BIN = "625800"
# customer name (from CUSTOMERS), credit limit in fen
CREDIT_CARDS = [
    ("张伟", 5_000_000),
    ("李娜", 2_000_000),
    ("王芳", 3_000_000),
]
# Spending on each demo credit card (by serial): days before seed-demo runs, amount in fen, merchant. The
# statement day is 8 days before that day, so the latest statement owes the purchases older than 8 days.
CREDIT_CARD_PURCHASES = {
    1: [(75, 45_600, "城东百货"), (52, 12_880, "青山加油站"), (38, 236_000, "家电商城"), (33, 8_650, "惠民超市"),
        (12, 19_900, "网上商城"), (3, 5_420, "早餐店")],
    2: [(40, 88_800, "河西药房"), (20, 156_000, "青山宾馆"), (5, 3_300, "便利店")],
    3: [(25, 52_000, "农资超市")],
}
CREDIT_CARD_OPENED_DAYS_AGO = 100
CREDIT_STATEMENT_DAYS_AGO = 8
CREDIT_DUE_AFTER_DAYS = 20  # the due day follows the statement day by about this much


def credit_card_number(serial: int) -> str:
    return with_check_digit(f"{CREDIT_CARD_BIN}{serial:09d}")


# Demo wealth products: code, name, risk grade, yield min/max (bp), term (days), minimum purchase (fen),
# sale window as days from the day seed-demo runs (start, end), status, description (plain text).
PRODUCTS = [
    ("LC0090A", "稳盈 90 天", "R2", 260, 310, 90, 100, (-10, 20), "on_sale",
     "固定收益类理财产品，主要投资于存款、债券等固定收益类资产。\n到期一次性兑付本金及收益。"),
    ("LC0180B", "添鑫 180 天", "R2", 290, 340, 180, 1_000_000, (-3, 27), "on_sale",
     "固定收益类理财产品，投资期限 180 天，1 万元起购。\n业绩比较基准不代表产品未来表现和实际收益。"),
    ("LC0365C", "进享一年期", "R3", 320, 420, 365, 5_000_000, (7, 37), "draft",
     "混合类理财产品（草稿，尚未发售）。"),
    ("LC0030D", "安享 30 天", "R1", 200, 230, 30, 100, (-60, -30), "closed",
     "现金管理类理财产品（已停售）。"),
]
