"""Every text a template asks for by key exists in Danish and English (marketplace.web.texts):
`t("key", …)` shows an unknown key as the key itself and `T["key"]` shows nothing, so a misspelt
key would otherwise reach a citizen's screen unnoticed."""
from __future__ import annotations

import re
from pathlib import Path

from marketplace.web.texts import TEXTS

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
# t("key" …) / t('key' …) and T["key"] / T['key'] with a whole literal key (not "prefix." ~ name, built at runtime)
KEY = re.compile(r"""(?<![\w.])(?:t\(\s*|T\[)(["'])([a-z][a-z0-9_.]*)\1\s*[),\]]""")


def used_keys() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in sorted(TEMPLATES.rglob("*.html")):
        for match in KEY.finditer(path.read_text(encoding="utf-8")):
            found.setdefault(match.group(2), set()).add(str(path.relative_to(TEMPLATES)))
    return found


def test_the_templates_ask_for_texts_by_key():
    keys = used_keys()
    assert len(keys) > 200  # the pattern finds the templates' keys (an empty scan proves nothing)
    assert "search.title" in keys and "pages/search.html" in keys["search.title"]


def test_every_key_a_template_uses_has_danish_and_english():
    missing = {key: sorted(where) for key, where in used_keys().items() if key not in TEXTS}
    assert missing == {}
    assert all(TEXTS[key][0] and TEXTS[key][1] for key in used_keys())
