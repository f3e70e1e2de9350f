"""shared/money.py, the one money type: yuan text <-> fen and percent <-> basis points exactly, the reasons for
bad input, every printed form, and the Jinja filters the factory registers. Examples first, then properties."""

import pytest
from flask import render_template_string
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from {{ cookiecutter.bank_slug }}.shared.money import (
    MAX_FEN,
    AmountError,
    format_cny,
    format_percent,
    format_signed_yuan,
    format_yield_range,
    format_yuan,
    format_yuan_compact,
    parse_percent,
    parse_yuan,
    percent_text,
    register_filters,
    yuan_text,
)

PROPERTY = settings(max_examples=200, deadline=None, database=None)  # bounded CI time; no .hypothesis/ in the bake
TRANSFER = "转账金额"
FEN = st.integers(min_value=1, max_value=MAX_FEN)
OPEN, CLOSE = "{" * 2, "}" * 2  # spelled out: this file is itself a Jinja template at bake time
TEMPLATE = f"{OPEN} 123456|yuan {CLOSE} {OPEN} -12345|signed_yuan {CLOSE} {OPEN} 315|percent {CLOSE}"
FULL_WIDTH = str.maketrans("0123456789.", "０１２３４５６７８９．")


# -- reading yuan: the transfer amount (strict: no separators, more than zero) -------------------------
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
    assert parse_yuan(text, TRANSFER) == fen


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
        parse_yuan(text, TRANSFER)
    assert reason in caught.value.message


def test_the_transfer_reasons_are_the_pages_sentences():
    reasons = {}
    for text in ("", "99999999999999999", "-1", "abc", "1.001", "9999999999999", "0"):
        with pytest.raises(AmountError) as caught:
            parse_yuan(text, TRANSFER)
        reasons[text] = caught.value.message
    assert list(reasons.values()) == [
        "请输入转账金额", "转账金额过长，请核对", "转账金额不能为负数",
        "转账金额格式不正确，请输入数字，如 100 或 100.50", "转账金额最多保留两位小数（精确到分）",
        "转账金额过大，请核对", "转账金额必须大于 0",
    ]


# -- reading yuan: a product's minimum purchase (thousands separators, zero left to the caller) ---------
@pytest.mark.parametrize("text,fen", [
    ("1", 100), ("0.01", 1), ("1000", 100_000), ("1000.5", 100_050), ("1,000.50", 100_050), ("１０００元", 100_000),
    (" 50000 ", 5_000_000), ("0.1", 10), ("19.99", 1999), ("123456789.99", 12_345_678_999), ("0", 0),
    ("999,999,999,999.99", MAX_FEN),
])
def test_grouped_yuan_is_exact(text, fen):
    assert parse_yuan(text, allow_zero=True, grouping=True) == fen


@pytest.mark.parametrize("text,reason", [
    ("", "请输入"), ("-100", "不能为负数"), ("1.001", "最多保留两位小数"), ("abc", "格式不正确"), ("1e3", "格式不正确"),
    ("NaN", "格式不正确"), ("Infinity", "格式不正确"), ("1,00", "格式不正确"), ("1.", "格式不正确"),
    ("9" * 30, "过长"), ("0x10", "格式不正确"), ("1_000", "格式不正确"), ("1,000,0000", "格式不正确"),
])
def test_bad_grouped_amounts_are_refused_with_a_reason(text, reason):
    with pytest.raises(AmountError) as caught:
        parse_yuan(text, "起购金额", allow_zero=True, grouping=True)
    assert reason in caught.value.message and "起购金额" in caught.value.message


# -- reading percent ----------------------------------------------------------------------------------
@pytest.mark.parametrize("text,bp", [("2.8", 280), ("2.80", 280), ("2.80%", 280), ("２.８％", 280), ("0", 0),
                                     ("20", 2000), ("3.15", 315), ("0.01", 1)])
def test_percent_to_basis_points_is_exact(text, bp):
    assert parse_percent(text) == bp


@pytest.mark.parametrize("text,reason", [("3.155", "收益率最多保留两位小数"), ("", "请输入收益率"),
                                         ("-1", "收益率不能为负数"), ("abc", "收益率格式不正确，请输入数字"),
                                         ("1,000", "格式不正确")])
def test_bad_percent_is_refused_with_a_reason(text, reason):
    with pytest.raises(AmountError) as caught:
        parse_percent(text)
    assert reason in caught.value.message


# -- writing ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fen,text", [
    (0, "0.00"), (1, "0.01"), (12345, "123.45"), (500_000, "5,000.00"), (-1050, "-10.50"),
    (99999999999999, "999,999,999,999.99"),
])
def test_fen_are_shown_as_yuan(fen, text):
    assert format_yuan(fen) == text


def test_the_chat_form_puts_the_sign_before_the_currency():
    assert format_cny(123456) == "¥1,234.56"
    assert format_cny(5) == "¥0.05"
    assert format_cny(0) == "¥0.00"
    assert format_cny(-500) == "-¥5.00"
    assert format_cny(10**14 + 1) == "¥1,000,000,000,000.01"


def test_the_other_forms():
    assert format_signed_yuan(100) == "+¥ 1.00" and format_signed_yuan(-12345) == "-¥ 123.45"
    assert format_signed_yuan(0) == "¥ 0.00"
    assert format_yuan_compact(100) == "1" and format_yuan_compact(1_000_000) == "10,000"
    assert format_yuan_compact(100_050) == "1,000.50" and format_yuan_compact(10**14 + 1) == "1,000,000,000,000.01"
    assert yuan_text(100_050) == "1000.50" and yuan_text(5) == "0.05" and yuan_text(-1) == "-0.01"
    assert yuan_text(None) == "" and percent_text(None) == ""
    assert format_percent(280) == "2.80%" and format_percent(5) == "0.05%" and format_percent(2000) == "20.00%"
    assert percent_text(280) == "2.80"
    assert format_yield_range(280, 320) == "2.80%-3.20%" and format_yield_range(300, 300) == "3.00%"


# -- the filters ----------------------------------------------------------------------------------------
def test_the_factory_registers_the_filters_once_for_every_template(make_app):
    app = make_app(features=[])  # no transfers feature: the filters are the factory's, not a feature's
    assert app.jinja_env.filters["yuan"] is format_yuan and app.jinja_env.filters["percent"] is format_percent
    with app.test_request_context():
        text = render_template_string(TEMPLATE)
    assert text == "1,234.56 -¥ 123.45 3.15%"


def test_register_filters_only_adds_filters():
    class Recorder:
        def __init__(self):
            self.filters = {}

        def add_template_filter(self, function, name):
            self.filters[name] = function

    recorder = Recorder()
    register_filters(recorder)
    assert recorder.filters == {"yuan": format_yuan, "signed_yuan": format_signed_yuan, "percent": format_percent}


# -- properties ---------------------------------------------------------------------------------------
@st.composite
def yuan_texts(draw):
    """Canonical yuan text a customer may type: no leading zeros, 0-2 decimals, within the 12 whole digits."""
    whole = draw(st.integers(min_value=0, max_value=10**12 - 1))
    fraction = draw(st.text("0123456789", min_size=0, max_size=2))
    text = f"{whole}.{fraction}" if fraction else str(whole)
    return text, whole * 100 + int(fraction.ljust(2, "0"))


@PROPERTY
@given(yuan_texts())
def test_typed_yuan_parses_to_its_exact_fen_and_prints_back(case):
    text, fen = case
    assume(fen > 0)
    assert parse_yuan(text) == fen
    assert yuan_text(parse_yuan(text)) == f"{fen // 100}.{fen % 100:02d}"
    whole, _, fraction = text.partition(".")
    assert format_yuan(parse_yuan(text)) == f"{int(whole):,}.{fraction.ljust(2, '0')}"


@PROPERTY
@given(FEN)
@example(1)
@example(29)
@example(MAX_FEN)
def test_every_printed_amount_reads_back_to_the_same_fen(fen):
    assert parse_yuan(yuan_text(fen)) == fen
    assert parse_yuan(format_yuan(fen), grouping=True) == fen
    assert parse_yuan(format_yuan_compact(fen), grouping=True) == fen
    assert parse_yuan(format_cny(fen).removeprefix("¥"), grouping=True) == fen
    assert parse_yuan(yuan_text(fen).translate(FULL_WIDTH) + "元") == fen  # full-width, with the unit


@PROPERTY
@given(st.integers(min_value=0, max_value=MAX_FEN // 2), st.integers(min_value=0, max_value=MAX_FEN // 2))
@example(10, 20)  # "0.1" + "0.2" is "0.3" exactly, unlike 0.1 + 0.2 in float
def test_sums_of_parsed_amounts_are_exact(a, b):
    def read(fen):
        return parse_yuan(yuan_text(fen), allow_zero=True)

    assert read(a) + read(b) == read(a + b)
    assert isinstance(read(a), int)


def test_no_float_anywhere():
    assert parse_yuan("0.1") + parse_yuan("0.2") == parse_yuan("0.3") == 30
    assert all(parse_yuan(f"0.{cents:02d}", allow_zero=True) == cents for cents in range(100))
    assert all(parse_percent(f"{whole}.{h:02d}") == whole * 100 + h for whole in range(21) for h in range(100))


@PROPERTY
@given(st.integers(min_value=0, max_value=10**12 - 1))
def test_percent_round_trips(bp):
    assert parse_percent(percent_text(bp)) == bp
    assert parse_percent(format_percent(bp)) == bp


@PROPERTY
@given(yuan_texts(), st.text("0123456789", min_size=1, max_size=3))
def test_more_than_two_decimals_is_refused(case, extra):
    text, _fen = case
    whole = text.partition(".")[0]
    digits = (text.partition(".")[2] + "00")[:2] + extra
    candidate = f"{whole}.{digits}"
    if len(candidate) > 16:
        return
    with pytest.raises(AmountError) as caught:
        parse_yuan(candidate)
    assert "两位小数" in caught.value.message


@PROPERTY
@given(yuan_texts())
def test_negative_amounts_are_refused(case):
    text, _fen = case
    for read in (lambda t: parse_yuan(t, allow_zero=True, grouping=True), parse_percent):
        with pytest.raises(AmountError) as caught:
            read("-" + text)
        assert "负数" in caught.value.message


@PROPERTY
@given(st.integers(min_value=10**12, max_value=10**16 - 1))
def test_more_than_twelve_whole_digits_is_refused(whole):
    with pytest.raises(AmountError) as caught:
        parse_yuan(str(whole))
    assert "过大" in caught.value.message


@PROPERTY
@given(st.integers(min_value=10**16, max_value=10**40))
def test_absurd_lengths_are_refused(whole):
    with pytest.raises(AmountError) as caught:
        parse_yuan(str(whole), grouping=True)
    assert "过长" in caught.value.message


@PROPERTY
@given(yuan_texts(), st.sampled_from("abcxyzEeNn_+ "), st.integers(min_value=0, max_value=20))
def test_letters_and_stray_signs_anywhere_are_refused(case, junk, where):
    text, _fen = case
    position = min(where, len(text))
    candidate = text[:position] + junk + text[position:]
    if candidate.strip() == text:
        return  # a space at either end is trimmed, as it should be
    with pytest.raises(AmountError):
        parse_yuan(candidate, allow_zero=True, grouping=True)


@PROPERTY
@given(FEN, st.sampled_from(["٠١٢٣٤٥٦٧٨٩", "۰۱۲۳۴۵۶۷۸۹", "०१२३४५६७८९", "〇一二三四五六七八九"]))
def test_digits_of_other_scripts_are_refused(fen, script):
    text = yuan_text(fen).translate(str.maketrans("0123456789", script))
    with pytest.raises(AmountError):
        parse_yuan(text)


@PROPERTY
@given(st.text(max_size=40))
@example("1e3")
@example("１２３")
@example("⑤")
@example("5\u0305")
def test_any_text_is_either_an_amount_in_range_or_refused(text):
    try:
        fen = parse_yuan(text, allow_zero=True, grouping=True)
    except AmountError as exc:
        assert exc.message
    else:
        assert isinstance(fen, int) and 0 <= fen <= MAX_FEN
