"""Rendered form fields reused by their arguments and language (marketplace.web.fragments)."""
from __future__ import annotations

import pytest
from factories import form_values
from markupsafe import Markup

from marketplace.web.fragments import FRAGMENTS, Constant, Fragments

FIELD = ('{% from "components/forms.html" import select with context %}'
         '{{ reuse(select, "sort", t("search.sort"), options, value, error=error) }}')
OPTIONS = [("best", "Bedste"), ("name", "Navn")]


@pytest.fixture(scope="module")
def jinja():
    from marketplace.app import create_app

    return create_app(run_outbox_worker=False).template_engine  # one environment per language


def render(jinja, lang: str, value: str, error: str | None = None) -> str:
    return jinja.render_string(FIELD, {"lang": lang, "options": OPTIONS, "value": value, "error": error})


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


def test_a_list_and_a_tuple_of_the_same_options_share_one_rendering():
    calls = []

    class Macro:
        name = "field"

        def __call__(self, options, value):
            calls.append(value)
            return f"<p>{len(options)} {value}</p>"

    store, macro = Fragments(size=8), Macro()
    as_tuple = store.render("da", macro, ((("a", "A"), ("b", "B")), "a"), {})  # hashable: the key as it is
    as_list = store.render("da", macro, ([("a", "A"), ("b", "B")], "a"), {})  # a list: its frozen stand-in
    assert as_tuple == as_list and calls == ["a"] and len(store) == 1


def test_a_constant_option_list_is_keyed_by_identity_and_renders_as_its_items():
    class Macro:
        name = "field"

        def __call__(self, options):
            return "".join(f"<i>{v}</i>" for v, _ in options)

    store, macro = Fragments(size=8), Macro()
    options = Constant([("a", "A"), ("b", "B")])
    same_items = Constant([("a", "A"), ("b", "B")])
    assert hash(options) != hash(same_items) and options != same_items  # identity, whatever the items
    assert store.render("da", macro, (options,), {}) == Markup("<i>a</i><i>b</i>")
    assert store.render("da", macro, (options,), {}) == Markup("<i>a</i><i>b</i>")
    assert (store.hits, store.misses) == (1, 1)


def test_the_search_forms_language_bound_option_lists_are_made_once_per_language():
    from marketplace.web.search_form import fixed_options, municipality_groups

    assert fixed_options("da") is fixed_options("da") and fixed_options("da") is not fixed_options("en")
    assert all(isinstance(options, Constant) for options in fixed_options("en").values())
    assert isinstance(municipality_groups(), Constant) and municipality_groups() is municipality_groups()
    assert dict(fixed_options("en")["sort_options"])["name"] != dict(fixed_options("da")["sort_options"])["name"]
