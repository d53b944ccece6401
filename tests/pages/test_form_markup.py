"""The inner markup of the select and checkboxes macros (marketplace.web.form_markup): escaped,
the chosen values selected or checked, ids and labels paired."""
from __future__ import annotations

from factories import form_values
from markupsafe import Markup

from marketplace.web.form_markup import checkbox_items, select_options


def test_select_options_escape_and_select_the_value_given_as_text():
    html = select_options([("", "Alle"), (5, "5 km"), ('x"><script>', "<b>ond</b>")], 5,
                          groups=[("Region <Nord>", [(851, "Aalborg")])])

    assert isinstance(html, Markup)
    assert '<option value="5" selected>5 km</option>' in html
    assert html.count(" selected") == 1
    assert "<script>" not in html and "<b>" not in html
    assert 'value="x&#34;&gt;&lt;script&gt;"' in html and "&lt;b&gt;ond&lt;/b&gt;" in html
    assert '<optgroup label="Region &lt;Nord&gt;">' in html and '<option value="851">Aalborg</option>' in html
    assert form_values(f'<select name="s">{html}</select>') == {"s": ["5"]}


def test_checkbox_items_check_the_chosen_values_and_label_each_box_with_its_count():
    html = checkbox_items("service", "service", [("mentor", "Mentor", 12), ("ips", "IPS <ny>", 0), ("x", "Uden tal", None)],
                          ["ips", "ukendt"])

    assert isinstance(html, Markup)
    assert form_values(f"<form>{html}</form>") == {"service": ["ips"]}
    assert '<label for="service-1">Mentor <span class="facet-count">(12)</span></label>' in html
    assert '<label for="service-2">IPS &lt;ny&gt; <span class="facet-count">(0)</span></label>' in html
    assert '<label for="service-3">Uden tal</label>' in html
    assert [f'id="service-{n}"' in html for n in (1, 2, 3)] == [True, True, True]
