"""CVR numbers: the Danish company register's 8-digit number, with its modulus-11 check.

    check_cvr(" 1234 5674 ")   → "12345674"
    check_cvr("12345678")      → InvalidInput("cvr", "CVR-nummeret er ikke gyldigt …")
    is_valid_cvr("12345674")   → True

The check: 8 digits, the first not 0, and the digits multiplied by the weights 2, 7, 6, 5, 4, 3, 2, 1
add up to a multiple of 11. Spaces (and a leading "DK", as on invoices) are removed before checking;
nothing else is forgiven. Messages are Danish first and say what to do.
"""
from __future__ import annotations

from marketplace.errors import InvalidInput

WEIGHTS = (2, 7, 6, 5, 4, 3, 2, 1)
EXAMPLE = "12345674"  # a number that passes the check, for the messages


def normalise_cvr(value: str | None) -> str:
    """What was typed, without spaces and without a leading "DK"."""
    text = "".join((value or "").split())
    if text[:2].upper() == "DK":
        text = text[2:]
    return text


def is_valid_cvr(value: str | None) -> bool:
    """True when `value` (as typed) is a valid CVR number."""
    try:
        check_cvr(value, field="cvr")
    except InvalidInput:
        return False
    return True


def check_cvr(value: str | None, *, field: str = "cvr") -> str:
    """The normalised CVR number, or InvalidInput on `field` with a Danish message saying what is wrong."""
    cvr = normalise_cvr(value)
    if not cvr:
        raise InvalidInput(field, f"Indtast CVR-nummer – 8 cifre, fx {EXAMPLE}.",
                           f"Enter the CVR number – 8 digits, e.g. {EXAMPLE}.")
    if not (cvr.isascii() and cvr.isdigit()) or len(cvr) != 8:
        raise InvalidInput(field, f"CVR-nummeret skal være præcis 8 cifre – fx {EXAMPLE}.",
                           f"The CVR number must be exactly 8 digits – e.g. {EXAMPLE}.")
    if cvr[0] == "0":
        raise InvalidInput(field, "CVR-nummeret kan ikke begynde med 0. Tjek at du har skrevet det rigtigt.",
                           "A CVR number cannot start with 0. Check that it is typed correctly.")
    if sum(int(d) * w for d, w in zip(cvr, WEIGHTS)) % 11 != 0:
        raise InvalidInput(field, "CVR-nummeret er ikke gyldigt. Tjek at du har skrevet det rigtigt – "
                                  "du kan slå det op på datacvr.virk.dk.",
                           "The CVR number is not valid. Check that it is typed correctly – "
                           "you can look it up at datacvr.virk.dk.")
    return cvr
