"""Reuse of rendered form fields: `{{ reuse(select, "sort", label, options, value) }}` renders the
macro once per language and set of arguments and then returns the same markup.

Only for macros whose output depends on nothing but their arguments and the language (the field
macros of templates/components/forms.html: no request, no session, no CSRF token). A Jinja macro
call costs tens of microseconds (argument binding, a new context, an escape per expression); the
search page calls a dozen, mostly with the same arguments as the previous visitor (the same
sort, distance and target-group lists, the same filter counts for a popular search). Bounded,
least recently used first out; one per process, used from the event loop's thread only.

The key is the arguments themselves when they are hashable (text, numbers, tuples; option lists
made once as a `Constant` are hashed by identity), else a frozen copy (`_frozen`): callers pass
tuples, so building a key costs a hash, not a walk over every option."""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Hashable

from jinja2 import pass_context
from markupsafe import Markup

from marketplace.web.i18n import lang_of


_NESTED = (list, tuple, dict)


class Constant(tuple):
    """An option list worked out once per process (and language) and never changed: hashed and
    compared by identity, so a `reuse(...)` key holding one costs nothing to build or look up,
    however many options it has."""

    __slots__ = ()
    __hash__ = object.__hash__
    __eq__ = object.__eq__  # type: ignore[assignment]
    __ne__ = object.__ne__  # type: ignore[assignment]


def _frozen(value: Any) -> Hashable:
    """A hashable stand-in for a macro argument (lists and tuples alike; dicts by their items).
    A tuple of plain values (an option: value, text, count) is its own stand-in."""
    kind = type(value)
    if kind is tuple and not any(type(v) in _NESTED for v in value):
        return value
    if kind is list or kind is tuple:
        return tuple(map(_frozen, value))
    if kind is dict:
        return tuple((k, _frozen(v)) for k, v in value.items())
    return value


class MarkupStore:
    """Rendered markup by key, bounded: the least recently used goes first. Counts hits and misses."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._html: OrderedDict[Hashable, Markup] = OrderedDict()
        self.hits = self.misses = 0

    def get(self, key: Hashable) -> Markup | None:
        html = self._html.get(key)
        if html is None:
            self.misses += 1
        else:
            self.hits += 1
            self._html.move_to_end(key)
        return html

    def put(self, key: Hashable, html: Markup) -> Markup:
        self._html[key] = html
        if len(self._html) > self.size:
            self._html.popitem(last=False)
        return html

    def __len__(self) -> int:
        return len(self._html)


class Fragments(MarkupStore):
    def __init__(self, size: int = 4096) -> None:
        super().__init__(size)

    def render(self, lang: str, macro: Any, args: tuple, kwargs: dict[str, Any]) -> Markup:
        key: tuple = (macro.name, lang, args, tuple(kwargs.items()))
        try:
            html = self.get(key)  # arguments already hashable (scalars, tuples, Constant): as they are
        except TypeError:  # a list or a dict among them: a hashable stand-in
            key = (macro.name, lang, _frozen(args), _frozen(kwargs))
            try:
                html = self.get(key)
            except TypeError:  # an argument of a kind _frozen does not know: render, do not keep
                return Markup(macro(*args, **kwargs))
        return html if html is not None else self.put(key, Markup(macro(*args, **kwargs)))


FRAGMENTS = Fragments()


@pass_context
def reuse(ctx: Any, macro: Any, *args: Any, **kwargs: Any) -> Markup:
    """Jinja: the macro's markup for these arguments in the page's language (see the module)."""
    return FRAGMENTS.render(ctx.get("lang") or lang_of(ctx.get("request")), macro, args, kwargs)


JINJA_GLOBALS = {"reuse": reuse}
