"""The page's number and percentage formatting (worked out once, marketplace.web.i18n) gives what
Babel gives for the same locale, on many values: rounding, grouping, signs and the percent sign."""
from __future__ import annotations

import random

import pytest
from babel.numbers import format_decimal, format_percent

from marketplace.web.i18n import LOCALES, format_number, format_percentage


def values() -> list[float | int]:
    rng = random.Random(5)
    edge = [0, 0.0, -0.0, 0.005, 0.125, 2.5, 3.45, -5.25, 999.95, 1234567.891, 10**9, -(10**7), 1e-9]
    return edge + [rng.choice([rng.random(), rng.uniform(-1e6, 1e6), rng.randint(-10**7, 10**7),
                               round(rng.random(), 3), rng.random() * 5]) for _ in range(3000)]


@pytest.mark.parametrize("lang", ["da", "en"])
def test_numbers_and_percentages_match_babel(lang: str) -> None:
    for value in values():
        for digits in (0, 1, 2):
            pattern = "#,##0" + ("." + "0" * digits if digits else "")
            assert format_number(value, lang, digits) == format_decimal(value, format=pattern, locale=LOCALES[lang]), value
        assert format_percentage(value, lang) == format_percent(value, locale=LOCALES[lang]), value


def test_the_danish_and_english_forms() -> None:
    assert (format_number(12500.25, "da", 1), format_number(12500.25, "en", 1)) == ("12.500,2", "12,500.2")
    assert (format_percentage(0.425, "da"), format_percentage(0.425, "en")) == ("42\xa0%", "42%")
