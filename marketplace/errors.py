"""The domain's exceptions. Services raise these and know nothing of HTTP; `marketplace.http`
maps them to JSON for /api and to Danish pages elsewhere.

    DomainError
    ├── NotFound            (404)
    ├── Conflict            (409)  e.g. a revision already decided by someone else
    ├── Forbidden           (403)
    ├── InvalidInput        (400)  names the field, with Danish and English messages
    │   └── InvalidInputs          several fields at once: reads as the first, `every` holds them all
                                   (`collect` raises it; `error_context` turns any of them into a page's
                                   error summary and inline messages)
    └── SearchUnavailable   (503)  Meilisearch cannot be reached
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class DomainError(Exception):
    """Base of every error a use case raises on purpose."""

    status_code = 400

    def __init__(self, da: str, en: str | None = None) -> None:
        super().__init__(da)
        self.da = da
        self.en = en or da

    def message(self, lang: str = "da") -> str:
        return self.en if lang == "en" else self.da


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409


class Forbidden(DomainError):
    status_code = 403


class InvalidInput(DomainError):
    """Bad input for one named field (query parameter or form field)."""

    status_code = 400

    def __init__(self, field: str, da: str, en: str | None = None) -> None:
        super().__init__(da, en)
        self.field = field

    @property
    def every(self) -> tuple[InvalidInput, ...]:
        """Every bad field this error stands for, in order (here just itself)."""
        return (self,)


class InvalidInputs(InvalidInput):
    """Several fields are wrong; the exception reads as the first of them (so `except InvalidInput`
    catches it and `field` names the first), and `every` holds them all in order."""

    def __init__(self, errors: Sequence[InvalidInput]) -> None:
        first = errors[0]
        super().__init__(first.field, first.da, first.en)
        self.errors = list(errors)

    @property
    def every(self) -> tuple[InvalidInput, ...]:
        return tuple(self.errors)


def collect(*checks: InvalidInput | None) -> None:
    """Raise InvalidInputs with every non-None problem given, in order (nothing when all are None):
    the way a use case that checks several fields reports them all at once."""
    problems = [p for p in checks if p is not None]
    if problems:
        raise InvalidInputs(problems)


def error_context(exc: DomainError, lang: str) -> dict[str, Any]:
    """For a page that re-renders its form: `errors` (list of (field id, message) for the error
    summary) and `field_errors` (field → message for the inline messages); empty unless InvalidInput."""
    items = [(e.field, e.message(lang)) for e in exc.every] if isinstance(exc, InvalidInput) else []
    return {"errors": items, "field_errors": dict(items)}


class SearchUnavailable(DomainError):
    status_code = 503

    def __init__(self, detail: str = "") -> None:
        super().__init__(
            "Søgningen er midlertidigt utilgængelig. Prøv igen om lidt.",
            "Search is temporarily unavailable. Please try again shortly.",
        )
        self.detail = detail
