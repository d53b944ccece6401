"""CVR validation: 8 digits, the first not 0, modulus 11 with the weights 2, 7, 6, 5, 4, 3, 2, 1 –
with Danish messages that say what is wrong. (Duplicates are refused at registration:
test_registration.py.)"""
from __future__ import annotations

import pytest
from factories import next_cvr

from marketplace.errors import InvalidInput
from marketplace.providers.cvr import check_cvr, is_valid_cvr


@pytest.mark.parametrize("cvr", ["12345674", "29403473", "10150817", "25313763"])
def test_valid_cvr_numbers_pass(cvr: str) -> None:
    assert check_cvr(cvr) == cvr and is_valid_cvr(cvr)


def test_generated_test_numbers_pass() -> None:
    assert all(is_valid_cvr(next_cvr()) for _ in range(50))


@pytest.mark.parametrize(("typed", "expected"), [(" 1234 5674 ", "12345674"), ("DK12345674", "12345674"),
                                                 ("dk 12 34 56 74", "12345674")])
def test_spaces_and_a_dk_prefix_are_removed(typed: str, expected: str) -> None:
    assert check_cvr(typed) == expected


@pytest.mark.parametrize(("cvr", "message"), [
    ("", "Indtast CVR-nummer – 8 cifre"),
    ("1234567", "CVR-nummeret skal være præcis 8 cifre"),
    ("123456789", "CVR-nummeret skal være præcis 8 cifre"),
    ("1234567a", "CVR-nummeret skal være præcis 8 cifre"),
    ("١٢٣٤٥٦٧٤", "CVR-nummeret skal være præcis 8 cifre"),  # digits, but not ASCII ones
    ("01234567", "CVR-nummeret kan ikke begynde med 0"),
    ("12345678", "CVR-nummeret er ikke gyldigt"),
    ("12345675", "CVR-nummeret er ikke gyldigt"),
])
def test_invalid_cvr_numbers_are_refused_with_a_danish_message(cvr: str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_cvr(cvr)
    assert caught.value.field == "cvr" and caught.value.da.startswith(message)
    assert caught.value.en and not is_valid_cvr(cvr)


def test_a_single_wrong_digit_is_always_caught() -> None:
    valid = "29403473"
    for position in range(8):
        for digit in "0123456789":
            typo = valid[:position] + digit + valid[position + 1:]
            if typo != valid:
                assert not is_valid_cvr(typo), typo
