"""Danish first, English too. The language is the `lang` cookie (set by /sprog/{code}), else Danish.

Texts live in `marketplace/web/texts.py` as key → (Danish, English). Dates and numbers are formatted
with Babel in the matching locale.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent
from jinja2 import pass_context
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


def _ctx_lang(ctx: Any) -> str:
    return ctx.get("lang") or lang_of(ctx.get("request"))


@pass_context
def t(ctx: Any, key: str, **values: Any) -> str:
    """Jinja: {{ t("search.title") }}."""
    return translate(key, _ctx_lang(ctx), **values)


@pass_context
def label(ctx: Any, item: Any) -> str:
    """Jinja: the Danish or English label of a reference item (Label)."""
    return item.text(_ctx_lang(ctx)) if item is not None else ""


@pass_context
def fmt_date(ctx: Any, value: date | datetime | str | None, fmt: str = "long") -> str:
    """Jinja: 3. marts 2026 / 3 March 2026."""
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return format_date(value, format=fmt, locale=LOCALES[_ctx_lang(ctx)])


@pass_context
def fmt_number(ctx: Any, value: float | int | None, digits: int = 0) -> str:
    """Jinja: 12.500 / 12,500."""
    if value is None:
        return ""
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=LOCALES[_ctx_lang(ctx)])


@pass_context
def fmt_percent(ctx: Any, value: float | None) -> str:
    """Jinja: 42 %."""
    if value is None:
        return ""
    return format_percent(value, locale=LOCALES[_ctx_lang(ctx)])


JINJA_GLOBALS = {
    "t": t, "label": label, "TARGET_GROUPS": TARGET_GROUPS, "SERVICES": SERVICES, "PROVIDER_TYPES": PROVIDER_TYPES,
    "LANGUAGES": LANGUAGES, "MUNICIPALITIES": municipalities,
}
JINJA_FILTERS = {"date": fmt_date, "number": fmt_number, "percent": fmt_percent}
