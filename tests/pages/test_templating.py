"""Templates compiled per language (marketplace.web.templating): fixed texts become constants of
each language's compiled template, and every page is rendered in its visitor's language."""
from __future__ import annotations

import pytest
from jinja2 import DictLoader
from litestar.exceptions import TemplateNotFoundException

from marketplace.web.i18n import JINJA_GLOBALS, TEXTS_IN
from marketplace.web.templating import LocalizedTemplateEngine
from marketplace.settings import PROJECT_DIR

TEMPLATES = PROJECT_DIR / "templates"


@pytest.fixture(scope="module")
def engine() -> LocalizedTemplateEngine:
    from marketplace.app import create_app

    return create_app(run_outbox_worker=False).template_engine  # type: ignore[return-value]


def compiled(engine: LocalizedTemplateEngine, lang: str, source: str) -> str:
    """The Python code Jinja makes of `source` in `lang`'s environment."""
    env = engine.engines[lang]
    return env.compile(source, raw=True)  # type: ignore[return-value]


def test_fixed_texts_are_compiled_in_as_constants(engine):
    source = '<h1>{{ T["search.title"] }}</h1><p title="{{ t(\'search.intro\') }}">{{ asset("app/site.css") }}</p>'
    for lang in ("da", "en"):
        code = compiled(engine, lang, source)
        title = TEXTS_IN[lang]["search.title"]
        assert title in code  # static text in the compiled template …
        assert "'T'" not in code and "'t'" not in code and "'asset'" not in code  # … and no lookup at render time
        html = engine.engines[lang].from_string(source).render()
        assert f"<h1>{title}</h1>" in html and "/app/site.css" in html


def test_texts_are_escaped_once_as_before(engine):
    # The constant goes through autoescaping like the looked-up text did: same output either way.
    texts = TEXTS_IN["da"]
    key = next(k for k, v in texts.items() if "&" in v or "<" in v or '"' in v or "'" in v)
    env = engine.engines["da"]
    folded = env.from_string('{{ T["%s"] }}' % key).render()
    looked_up = env.from_string("{{ T[k] }}").render(k=key)
    assert folded == looked_up and folded != texts[key]


def test_what_is_not_a_fixed_text_is_left_to_run_time(engine):
    env = engine.engines["en"]
    source = ('{{ t("search.results_count", n=n) }}|{{ T[key] }}|{{ obj.t("search.title") }}|'
              '{{ T["no.such.key"] }}|{{ t("no.such.key") }}')

    class Obj:
        @staticmethod
        def t(key: str) -> str:
            return f"own {key}"

    html = env.from_string(source).render(n=3, key="search.title", obj=Obj())
    parts = html.split("|")
    assert parts[0] == TEXTS_IN["en"]["search.results_count"].format(n=3)
    assert parts[1] == TEXTS_IN["en"]["search.title"]
    assert parts[2] == "own search.title"  # an attribute named t is not the text function
    assert parts[3] == "" and parts[4] == "no.such.key"  # unknown keys behave as they always did
    code = compiled(engine, "en", source)
    assert "'T'" in code and "'t'" in code  # still looked up


def test_a_page_is_rendered_in_the_language_of_its_context(engine):
    template = engine.get_template("pages/search.html")
    assert engine.get_template("pages/search.html") is template  # found once
    for lang in ("da", "en"):
        html = template.by_lang[lang].environment.from_string('{{ lang }} {{ T["search.title"] }}').render()
        assert html == f"{lang} {TEXTS_IN[lang]['search.title']}"
    with pytest.raises(TemplateNotFoundException):
        engine.get_template("pages/no-such-page.html")


def test_render_picks_the_language_from_the_context():
    engine = LocalizedTemplateEngine(directory=TEMPLATES)
    engine.update_globals(JINJA_GLOBALS)
    for env in engine.engines.values():
        env.loader = DictLoader({
            "page.html": '{% from "macros.html" import hello %}{{ hello() }}',
            "macros.html": '{% macro hello() %}{{ T["search.title"] }}/{{ t("search.results_count", n=2) }}{% endmacro %}',
        })
    page = engine.get_template("page.html")
    for lang in ("da", "en"):
        # A macro imported without context speaks the page's language: `lang` is the environment's.
        expected = f"{TEXTS_IN[lang]['search.title']}/{TEXTS_IN[lang]['search.results_count'].format(n=2)}"
        assert page.render(lang=lang) == expected
    assert page.render() == page.render(lang="da")  # no language, no request: Danish
    assert page.render(lang="xx") == page.render(lang="da")


def test_globals_and_filters_reach_every_language(engine):
    for env in engine.engines.values():
        assert {"reuse", "asset", "signed_in", "url_for", "csrf_token"} <= env.globals.keys()
        assert {"number", "percent", "date"} <= env.filters.keys()
    assert engine.engines["da"].from_string("{{ 12500 | number }}").render() == "12.500"
    assert engine.engines["en"].from_string("{{ 12500 | number }}").render() == "12,500"


def test_output_is_escaped_and_markup_is_written_as_it_is(engine):
    from markupsafe import Markup

    from marketplace.web.templating import escape

    class Html:
        def __html__(self) -> str:
            return "<em>own</em>"

    env = engine.engines["da"]
    assert "import escape" in env.compile("{{ x }}", raw=True).split("\n")[0]  # our escape, not markupsafe's
    html = env.from_string("{{ a }}|{{ b }}|{{ c }}|{{ d }}|{{ e }}").render(
        a="<script>&", b=Markup("<b>safe</b>"), c=Html(), d=3, e=None)
    assert html == "&lt;script&gt;&amp;|<b>safe</b>|<em>own</em>|3|None"
    card = Markup("<li>card</li>")
    assert escape(card) is card  # no copy
    assert escape("<") == "&lt;" and type(escape("<")) is Markup


def test_a_global_set_after_a_template_was_loaded_reaches_it():
    engine = LocalizedTemplateEngine(directory=TEMPLATES)
    engine.update_globals(JINJA_GLOBALS)
    for env in engine.engines.values():
        env.loader = DictLoader({"page.html": "{{ greeting or 'none' }}"})
    assert engine.get_template("page.html").render(lang="en") == "none"
    engine.update_globals({"greeting": "hello"})
    assert engine.get_template("page.html").render(lang="en") == "hello"
    assert engine.get_template("page.html").render(lang="da") == "hello"
