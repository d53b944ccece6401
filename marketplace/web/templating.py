"""Templates compiled once per language: Danish and English each get their own Jinja environment.

Every page is rendered by the environment of the visitor's language (`lang` in the page's context,
else the request's: marketplace.web.i18n.lang_of). Knowing the language when a template is
compiled, and writing its output ourselves, give three things:

- **Fixed texts are constants.** `T["key"]`, `t("key")` and `asset("path")` with a literal
  argument and nothing else are looked up while the template is compiled (`FixedTexts`) and
  become string constants, which Jinja writes into the compiled template as static text, escaped
  once. At run time they cost nothing; as expressions each cost a lookup, an escape and a new
  Markup per render (the search page has about sixty). A key the language does not know is left
  as it was written, to be looked up at run time (tests/pages/test_text_keys.py keeps that from
  happening).
- **Markup is written out as it is**: `{{ card }}` with a card already rendered costs no copy
  (`escape` below).
- **`lang` is a global of the environment**, so macros imported *without* context (`{% from
  "components/forms.html" import input %}`) still speak the page's language through `t()`, `label()`
  and the number filters. An import "with context" builds the imported template's module anew on
  every render; without context it is built once.

Litestar sees one engine (`LocalizedTemplateEngine`); its callables (`url_for`, `csrf_token`, …)
and our globals and filters are registered in both environments.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, MutableMapping

from jinja2 import Environment, FileSystemLoader, Template, TemplateNotFound, pass_context
from jinja2.compiler import CodeGenerator
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream
from litestar.exceptions import TemplateNotFoundException
from litestar.plugins.jinja import JinjaTemplateEngine
from markupsafe import Markup, escape as markup_escape

from marketplace.web.i18n import LANGS, TEXTS_IN, context_lang, translate


class FixedTexts(Extension):
    """`T["key"]`, `t("key")` and `asset("path")` (one literal argument, not an attribute like
    `x.t("key")`) become the string they stand for in this environment's language."""

    def filter_stream(self, stream: TokenStream) -> Iterable[Token]:
        env = self.environment
        lang, asset = env.globals["lang"], env.globals.get("asset")
        texts: Mapping[str, str] = TEXTS_IN[lang]  # type: ignore[index]
        constant: dict[str, Callable[[str], str | None]] = {
            "t": lambda key: translate(key, lang) if key in texts else None,  # type: ignore[arg-type]
            "asset": lambda path: asset(path) if asset is not None else None,  # type: ignore[misc]
        }
        window: list[Token] = []  # tokens held back while they may start a pattern
        previous = ""
        for token in stream:
            window.append(token)
            while window:
                value = _fold(window, texts, constant, previous)
                if value is _NEED_MORE:
                    break
                if value is not None:  # the whole window is one constant
                    yield Token(window[0].lineno, "string", value)
                    previous = "string"
                    window.clear()
                else:  # no pattern starts at the first token: let it through
                    first = window.pop(0)
                    previous = first.type
                    yield first
        yield from window


_NEED_MORE = object()
_OPEN = {"T": "lbracket", "t": "lparen", "asset": "lparen"}
_CLOSE = {"lbracket": "rbracket", "lparen": "rparen"}


def _fold(window: list[Token], texts: Mapping[str, str], constant: Mapping[str, Callable[[str], str | None]],
          previous: str) -> Any:
    """The constant the tokens in `window` stand for; None if they cannot be one; _NEED_MORE while
    they may still become one (name, opening bracket, string, closing bracket)."""
    first = window[0]
    if first.type != "name" or first.value not in _OPEN or previous == "dot":
        return None
    opener = _OPEN[first.value]
    shape = ("name", opener, "string", _CLOSE[opener])
    if any(token.type != kind for token, kind in zip(window, shape)):
        return None
    if len(window) < len(shape):
        return _NEED_MORE
    key = window[2].value
    if first.value == "T":
        return texts.get(key)
    return constant[first.value](key)


def escape(value: Any) -> Markup:
    """What templates escape their output with: markupsafe's `escape`, except that Markup (already
    safe, and immutable) is passed on as it is. markupsafe builds a new Markup of it, which copies
    the text twice: for the search page's cached cards and form fields, about 100 KB per render."""
    return value if type(value) is Markup else markup_escape(value)


class _CodeGenerator(CodeGenerator):
    """Compiles templates whose `{{ … }}` output goes through `escape` above."""

    def writeline(self, x: str, node: Any = None, extra: int = 0) -> None:
        if x.startswith("from jinja2.runtime import "):  # the compiled module's imports
            x += f"; from {__name__} import escape"
        super().writeline(x, node, extra)


class _Environment(Environment):
    code_generator_class = _CodeGenerator

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        """A template's globals as a plain dict, not Jinja's ChainMap over the environment's: every
        `{% from … import … %}` compares the two templates' globals key by key (a ChainMap does
        that in Python, ~20 µs per import), and each name a template looks up goes through them.
        The globals are set when the app is made; LocalizedTemplateEngine.update_globals reloads the
        templates if that is ever done later."""
        return {**self.globals, **(d or {})}


def _environment(directory: Path | list[Path], lang: str) -> Environment:
    env = _Environment(loader=FileSystemLoader(directory), autoescape=True, auto_reload=False)
    env.globals["lang"] = lang
    env.globals["T"] = TEXTS_IN[lang]
    env.add_extension(FixedTexts)
    return env


class LocalizedTemplate:
    """One template in every language; `render` picks the page's."""

    def __init__(self, by_lang: dict[str, Template]) -> None:
        self.by_lang = by_lang

    def render(self, *args: Any, **context: Any) -> str:
        return self.by_lang.get(context_lang(context), self.by_lang["da"]).render(*args, **context)


class LocalizedTemplateEngine(JinjaTemplateEngine):
    """Litestar's Jinja engine with one environment per language (see the module). `engine` is the
    Danish one; `engines` has them all; set globals and filters with `update_globals` and
    `update_filters`, which reach every language."""

    def __init__(self, directory: Path | list[Path] | None = None, engine_instance: Environment | None = None) -> None:
        if directory is None or engine_instance is not None:
            raise ValueError("LocalizedTemplateEngine is made from a template directory")
        self.engines = {lang: _environment(directory, lang) for lang in LANGS}
        self._templates: dict[str, LocalizedTemplate] = {}
        super().__init__(engine_instance=self.engines["da"])

    def register_template_callable(self, key: str, template_callable: Any) -> None:
        self.update_globals({key: pass_context(template_callable)})

    def update_globals(self, values: Mapping[str, Any]) -> None:
        """Set globals in every language. A template keeps the globals it was loaded with (a plain
        dict, see _Environment), so templates loaded before are dropped and load again."""
        for env in self.engines.values():
            env.globals.update(values)
            if env.cache is not None:
                env.cache.clear()
        self._templates.clear()

    def update_filters(self, values: Mapping[str, Any]) -> None:
        for env in self.engines.values():
            env.filters.update(values)

    def get_template(self, template_name: str) -> LocalizedTemplate:  # type: ignore[override]
        found = self._templates.get(template_name)
        if found is None:
            try:
                found = LocalizedTemplate({lang: env.get_template(template_name) for lang, env in self.engines.items()})
            except TemplateNotFound as exc:
                raise TemplateNotFoundException(template_name=template_name) from exc
            self._templates[template_name] = found
        return found

    def render_string(self, template_string: str, context: Mapping[str, Any]) -> str:
        return self.engines.get(context_lang(context), self.engines["da"]).from_string(template_string).render(context)
