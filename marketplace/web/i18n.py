"""Danish first, English too. The language is the `lang` cookie (set by /sprog/{code}), else Danish.

Texts live in `marketplace/web/texts.py` as key → (Danish, English). Dates are formatted with Babel
in the matching locale; numbers and percentages with the same rules worked out once (see
`format_number`), since Babel parses the locale and the pattern on every call (≈ 50–140 µs).
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent
from jinja2 import pass_context
from jinja2.utils import url_quote
from litestar import Request

from marketplace.reference import LANGUAGES, PROVIDER_TYPES, SERVICES, TARGET_GROUPS, municipalities
from marketplace.web.texts import TEXTS

LANGS = ("da", "en")
LOCALES = {"da": "da_DK", "en": "en_GB"}
_LANG_KEY = "marketplace.lang"  # the request's language, worked out once per request


def lang_of(request: Request | None) -> str:
    """The visitor's language."""
    if request is None:
        return "da"
    cached = request.scope.get(_LANG_KEY)  # type: ignore[call-overload]
    if cached is None:
        lang = request.cookies.get("lang", "da")
        cached = request.scope[_LANG_KEY] = lang if lang in LANGS else "da"  # type: ignore[literal-required]
    return cached


def translate(key: str, lang: str, **values: Any) -> str:
    """The text for `key` in `lang`, with {placeholders} filled in. Unknown keys show the key."""
    pair = TEXTS.get(key)
    text = key if pair is None else (pair[1] if lang == "en" else pair[0])
    return text.format(**values) if values else text


# Per-language tables for hot templates (the search results): a dict lookup in Jinja costs a
# fraction of a `t()` call, which goes through Jinja's context call and works out the language.
TEXTS_IN: dict[str, dict[str, str]] = {lang: {key: pair[1] if lang == "en" else pair[0] for key, pair in TEXTS.items()}
                                       for lang in LANGS}
LABELS_IN: dict[str, dict[str, dict[str, str]]] = {
    lang: {name: {slug: item.text(lang) for slug, item in items.items()}
           for name, items in (("type", PROVIDER_TYPES), ("target_group", TARGET_GROUPS), ("service", SERVICES))}
    for lang in LANGS
}


def return_to(request: Request) -> str:
    """Jinja: this page's address (path and query) quoted for a `next=` parameter, where the
    language switch in the page header comes back to."""
    scope = request.scope
    return _return_to(scope.get("root_path", "") + scope["path"], scope.get("query_string", b""))


@lru_cache(maxsize=4096)
def _return_to(path: str, query: bytes) -> str:
    quoted = url_quote(path)  # as Jinja's urlencode filter: "/" kept, everything else quoted
    return f"{quoted}%3F{url_quote(query)}" if query else quoted


def context_lang(ctx: Any) -> str:
    """The language of a template context: its `lang`, else its request's."""
    return ctx.get("lang") or lang_of(ctx.get("request"))


@pass_context
def t(ctx: Any, key: str, **values: Any) -> str:
    """Jinja: {{ t("search.title") }}."""
    return translate(key, context_lang(ctx), **values)


@pass_context
def label(ctx: Any, item: Any) -> str:
    """Jinja: the Danish or English label of a reference item (Label)."""
    return item.text(context_lang(ctx)) if item is not None else ""


@pass_context
def fmt_date(ctx: Any, value: date | datetime | str | None, fmt: str = "long") -> str:
    """Jinja: 3. marts 2026 / 3 March 2026."""
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return format_date(value, format=fmt, locale=LOCALES[context_lang(ctx)])


# What Babel's da_DK and en_GB number formats come to: grouping "." / ",", decimal "," / ".",
# percent sign after a no-break space in Danish. Rounding is half-even on the decimal form of the
# value, as in Babel (tests/pages/test_formatting.py compares the two on many values).
_QUANTUM = tuple(Decimal(1).scaleb(-d) for d in range(7))
_DANISH_SEPARATORS = str.maketrans(",.", ".,")
_PERCENT_SUFFIX = {"da": "\xa0%", "en": "%"}


def format_number(value: float | int, lang: str, digits: int = 0) -> str:
    """12.500 / 12,500 (with `digits` decimals), like Babel's `#,##0.0…` pattern."""
    kind = type(value)
    if kind is int and digits == 0:  # a count: exact as it is (a third of the time of the Decimal way)
        text = f"{value:,}"
    elif kind is not int and kind is not float or not 0 <= digits < len(_QUANTUM):  # bool, Decimal, …
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(value, format=pattern, locale=LOCALES[lang])
    else:
        text = f"{Decimal(str(value)).quantize(_QUANTUM[digits], ROUND_HALF_EVEN):,.{digits}f}"
    return text.translate(_DANISH_SEPARATORS) if lang != "en" else text


def format_percentage(value: float | int, lang: str) -> str:
    """42 % / 42%, like Babel's `format_percent`."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return format_percent(value, locale=LOCALES[lang])
    number = (Decimal(str(value)) * 100).quantize(_QUANTUM[0], ROUND_HALF_EVEN)
    text = f"{number:,.0f}"
    return (text.replace(",", ".") if lang != "en" else text) + _PERCENT_SUFFIX["en" if lang == "en" else "da"]


@pass_context
def fmt_number(ctx: Any, value: float | int | None, digits: int = 0) -> str:
    """Jinja: 12.500 / 12,500."""
    if value is None:
        return ""
    return format_number(value, context_lang(ctx), digits)


@pass_context
def fmt_percent(ctx: Any, value: float | None) -> str:
    """Jinja: 42 %."""
    if value is None:
        return ""
    return format_percentage(value, context_lang(ctx))


JINJA_GLOBALS = {
    "t": t, "return_to": return_to, "label": label, "TARGET_GROUPS": TARGET_GROUPS, "SERVICES": SERVICES, "PROVIDER_TYPES": PROVIDER_TYPES,
    "LANGUAGES": LANGUAGES, "MUNICIPALITIES": municipalities, "TEXTS_IN": TEXTS_IN, "LABELS_IN": LABELS_IN,
}
JINJA_FILTERS = {"date": fmt_date, "number": fmt_number, "percent": fmt_percent}
