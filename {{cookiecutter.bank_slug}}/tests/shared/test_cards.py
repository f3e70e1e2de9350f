"""Card numbers: normalising and the Luhn check."""

import pytest

from {{ cookiecutter.bank_slug }}.shared import demo_data
from {{ cookiecutter.bank_slug }}.shared.cards import luhn_check_digit, luhn_valid, normalise_card, with_check_digit

KNOWN_VALID = ["4539578763621486", "6011111111111117", "79927398713", "5555555555554444", "378282246310005"]


@pytest.mark.parametrize("number", KNOWN_VALID)
def test_known_numbers(number):
    assert luhn_check_digit(number[:-1]) == number[-1]


def test_luhn_valid_needs_12_to_19_digits_and_the_right_check_digit():
    assert luhn_valid("4539 5787 6362 1486")
    assert luhn_valid("4539-5787-6362-1486")
    assert not luhn_valid("4539578763621487")
    assert not luhn_valid("79927398713")  # valid Luhn, too short for a card
    assert not luhn_valid("45395787636214861234")  # too long
    assert not luhn_valid("")
    assert not luhn_valid("4539a78763621486")


def test_every_single_digit_error_is_caught():
    card = demo_data.card_number(1)
    for position in range(len(card)):
        for digit in "0123456789":
            if digit != card[position]:
                assert not luhn_valid(card[:position] + digit + card[position + 1:])


def test_normalise_card():
    assert normalise_card(" 6228 4800-0000 0000 017 ") == "6228480000000000017"
    assert normalise_card("6228４８") == ""  # full-width digits: normalise with NFKC first
    assert normalise_card("6228x") == ""
    assert normalise_card(None) == ""


def test_demo_cards_are_19_luhn_valid_digits_with_the_demo_bin():
    cards = [demo_data.card_number(serial) for serial in range(1, len(demo_data.ACCOUNTS) + 1)]
    assert len(set(cards)) == len(cards)
    for card in cards:
        assert len(card) == 19 and card.startswith(demo_data.CARD_BIN) and luhn_valid(card)
    assert with_check_digit("7992739871") == "79927398713"
