"""The repeated inner markup of two form macros (templates/components/forms.html), written in
Python: the `<option>`s of a `select` and the `<li>` checkboxes of `checkboxes`. The search page
has ~45 filter checkboxes and ~30 options; as Jinja loops they were a third of its rendering time
(each `{{ }}` is an escape and an attribute lookup), here they are a few string joins. The macros
still own the field around them (label or legend, hint, error, aria wiring). Every value and text
is escaped; both return Markup."""
from __future__ import annotations

from typing import Any, Iterable, Sequence

from markupsafe import Markup, escape


def _option(value: Any, text: Any, chosen: str) -> str:
    v = str(value)
    selected = " selected" if v == chosen else ""
    return f'\n    <option value="{escape(v)}"{selected}>{escape(text)}</option>'


def select_options(options: Iterable[Sequence[Any]], value: Any = "",
                   groups: Iterable[tuple[Any, Iterable[Sequence[Any]]]] | None = None) -> Markup:
    """`options`: (value, text) pairs; `groups`: (group label, [(value, text)]) for <optgroup>s.
    The option whose value equals `value` (as text) is selected."""
    chosen = "" if value is None else str(value)
    parts = [_option(v, text, chosen) for v, text in options]
    for group, items in groups or ():
        parts.append(f'\n    <optgroup label="{escape(group)}">')
        parts.extend(_option(v, text, chosen).replace("\n    ", "\n      ", 1) for v, text in items)
        parts.append("\n    </optgroup>")
    return Markup("".join(parts))


def checkbox_items(name: str, id: str, options: Iterable[Sequence[Any]], values: Iterable[Any] = ()) -> Markup:
    """`options`: (value, text, count or None); boxes whose value is in `values` are checked. Each
    box gets the id `{id}-{n}` (n from 1) and a label with the count in parentheses, if any."""
    chosen = {str(v) for v in values or ()}
    name_e, id_e = escape(name), escape(id)
    parts = []
    for n, (value, text, count) in enumerate(options, 1):
        v = str(value)
        checked = " checked" if v in chosen else ""
        suffix = "" if count is None else f' <span class="facet-count">({escape(count)})</span>'
        parts.append(
            f'\n    <li>\n      <input id="{id_e}-{n}" type="checkbox" name="{name_e}" value="{escape(v)}" '
            f'class="form-checkbox checkbox-small"{checked}>\n      <label for="{id_e}-{n}">{escape(text)}{suffix}</label>\n    </li>'
        )
    return Markup("".join(parts))


JINJA_GLOBALS = {"select_options": select_options, "checkbox_items": checkbox_items}
