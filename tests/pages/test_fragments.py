"""Rendered form fields reused by their arguments and language (marketplace.web.fragments)."""
from __future__ import annotations

import pytest
from factories import form_values
from markupsafe import Markup

from marketplace.web.fragments import FRAGMENTS, Fragments

FIELD = ('{% from "components/forms.html" import select with context %}'
         '{{ reuse(select, "sort", t("search.sort"), options, value, error=error) }}')
OPTIONS = [("best", "Bedste"), ("name", "Navn")]


@pytest.fixture(scope="module")
def jinja():
    from marketplace.app import create_app

    return create_app(run_outbox_worker=False).template_engine.engine  # type: ignore[union-attr]


def render(jinja, lang: str, value: str, error: str | None = None) -> str:
    return jinja.from_string(FIELD).render(lang=lang, options=OPTIONS, value=value, error=error)


def test_the_same_field_is_rendered_once_and_reused_alike(jinja):
    first = render(jinja, "da", "name")
    before = (FRAGMENTS.hits, FRAGMENTS.misses)
    again = render(jinja, "da", "name")

    assert again == first and (FRAGMENTS.hits - before[0], FRAGMENTS.misses - before[1]) == (1, 0)
    assert form_values(first) == {"sort": ["name"]}


def test_another_value_language_or_error_is_another_field(jinja):
    assert form_values(render(jinja, "da", "best")) == {"sort": ["best"]}
    assert form_values(render(jinja, "da", "name")) == {"sort": ["name"]}
    danish, english = render(jinja, "da", "best"), render(jinja, "en", "best")
    assert "Sortér efter" in danish and "Sort by" in english
    with_error = render(jinja, "da", "best", error="Ukendt sortering")
    assert 'aria-invalid="true"' in with_error and "Ukendt sortering" in with_error
    assert 'aria-invalid' not in render(jinja, "da", "best")


def test_the_store_keeps_the_most_recently_used_up_to_its_size(jinja):
    calls = []

    class Macro:
        name = "field"

        def __call__(self, *args):
            calls.append(args)
            return f"<p>{args}</p>"

    store, macro = Fragments(size=2), Macro()
    for value in ("a", "b", "a", "c", "a", "b"):
        store.render("da", macro, (value, [1, 2]), {})

    assert [args[0] for args in calls] == ["a", "b", "c", "b"]  # "b" was the least recently used when "c" came
    assert len(store) == 2


def test_an_argument_that_cannot_be_a_key_is_rendered_every_time():
    class Macro:
        name = "field"

        def __call__(self, value):
            return f"<p>{sorted(value)}</p>"

    store = Fragments(size=8)
    assert store.render("da", Macro(), ({1, 2},), {}) == Markup("<p>[1, 2]</p>")  # a set: not frozen
    assert len(store) == 0
