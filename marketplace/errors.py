"""The domain's exceptions. Services raise these and know nothing of HTTP; `marketplace.http`
maps them to JSON for /api and to Danish pages elsewhere.

    DomainError
    ├── NotFound            (404)
    ├── Conflict            (409)  e.g. a revision already decided by someone else
    ├── Forbidden           (403)
    ├── InvalidInput        (400)  names the field, with Danish and English messages
    └── SearchUnavailable   (503)  Meilisearch cannot be reached
"""
from __future__ import annotations


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


class SearchUnavailable(DomainError):
    status_code = 503

    def __init__(self, detail: str = "") -> None:
        super().__init__(
            "Søgningen er midlertidigt utilgængelig. Prøv igen om lidt.",
            "Search is temporarily unavailable. Please try again shortly.",
        )
        self.detail = detail
