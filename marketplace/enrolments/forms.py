"""Form helpers shared by the citizen, provider and authority pages of enrolments and reviews.

A use case that checks several fields at once raises `FormInvalid` with one `InvalidInput` per
field; a page controller turns it (or a single `InvalidInput`) into the DKFDS error summary and the
inline messages, and re-renders the form with what was typed:

    try:
        ...
    except InvalidInput as exc:
        return render(form=typed, **error_context(exc, lang), status=400)
"""
from __future__ import annotations

from typing import Any, Mapping

from marketplace.errors import DomainError, InvalidInput


class FormInvalid(InvalidInput):
    """Several fields are wrong; `errors` holds one InvalidInput per field, in form order (the
    exception itself reads as the first of them, so `except InvalidInput` catches it too)."""

    def __init__(self, errors: list[InvalidInput]) -> None:
        first = errors[0]
        super().__init__(first.field, first.da, first.en)
        self.errors = errors


def collect(*checks: InvalidInput | None) -> None:
    """Raise FormInvalid with every non-None error given (nothing when all are None)."""
    errors = [e for e in checks if e is not None]
    if errors:
        raise FormInvalid(errors)


def error_context(exc: DomainError, lang: str) -> dict[str, Any]:
    """`errors` (list of (field id, message) for the summary) and `field_errors` (field → message)."""
    if isinstance(exc, FormInvalid):
        items = [(e.field, e.message(lang)) for e in exc.errors]
    elif isinstance(exc, InvalidInput):
        items = [(exc.field, exc.message(lang))]
    else:
        items = []
    return {"errors": items, "field_errors": dict(items)}


def text_of(form: Mapping[str, Any], name: str, max_chars: int = 4000) -> str:
    """A form field as stripped text (at most `max_chars` characters are kept)."""
    value = form.get(name)
    return str(value if value is not None else "").strip()[:max_chars]
