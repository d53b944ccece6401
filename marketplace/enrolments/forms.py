"""Form helpers shared by the citizen, provider and authority pages of enrolments and reviews.

A use case that checks several fields at once raises `InvalidInputs` (`marketplace.errors.collect`)
with one `InvalidInput` per field; a page controller turns it (or a single `InvalidInput`) into the
DKFDS error summary and the inline messages (`marketplace.errors.error_context`), and re-renders the
form with what was typed:

    try:
        ...
    except InvalidInput as exc:
        return render(form=typed, **error_context(exc, lang), status=400)
"""
from __future__ import annotations

from typing import Any, Mapping


def text_of(form: Mapping[str, Any], name: str, max_chars: int = 4000) -> str:
    """A form field as stripped text (at most `max_chars` characters are kept)."""
    value = form.get(name)
    return str(value if value is not None else "").strip()[:max_chars]
