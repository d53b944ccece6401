"""The review's building blocks without a database: the field-by-field diff and the automatic
pre-check of the fixed standards."""
from __future__ import annotations

from factories import default_revision, office

from marketplace.authority.services import Place, places, revision_diff, text_segments
from marketplace.providers import standards
from marketplace.reference import LANGUAGES, SERVICES, TARGET_GROUPS, municipalities


def sections(old, new) -> dict:
    return {s.key: s for s in revision_diff(old, new)}


def test_a_first_application_shows_every_field_as_new() -> None:
    diff = sections(None, default_revision())
    assert list(diff) == ["description", "method", "coverage", "target_groups", "services", "languages", "offices",
                          "capacity", "contact"]
    assert {s.status for s in diff.values()} == {"new"}
    assert diff["coverage"].added == [Place("Aarhus")]
    assert [c.kind for c in diff["services"].items] == ["added"]


def test_an_unchanged_revision_shows_nothing_changed() -> None:
    revision = default_revision()
    assert {s.status for s in revision_diff(revision, dict(revision))} == {"unchanged"}


def test_coverage_names_added_and_removed_municipalities() -> None:
    old = {**default_revision(), "municipalities": [751, 101]}
    new = {**old, "municipalities": [751, 461], "remote": True}
    coverage = sections(old, new)["coverage"]
    assert coverage.status == "changed"
    assert coverage.added == [Place("Odense")] and coverage.removed == [Place("København")]
    assert coverage.kept == [Place("Aarhus")]
    assert [(v.key, v.old, v.new) for v in coverage.values] == [("remote", False, True)]


def test_a_whole_region_and_the_whole_country_are_named_as_such() -> None:
    known = municipalities()
    region = [c for c, m in known.items() if m.region_name == "Region Nordjylland"]
    named = places(region + [751])
    assert named[0] == Place("Region Nordjylland", "region", len(region))
    assert named[1:] == [Place("Aarhus")]
    assert places(known) == [Place("", "country", 98)]


def test_target_groups_services_and_prices_show_what_changed() -> None:
    old = {**default_revision(),
           "target_groups": [{"slug": "dagpenge", "years": 5}, {"slug": "sygedagpenge", "years": 2}],
           "services": [{"slug": "jobsamtaler", "price_dkk": 5000, "duration_weeks": 8},
                        {"slug": "mentor", "price_dkk": 3000, "duration_weeks": 4}]}
    new = {**old,
           "target_groups": [{"slug": "dagpenge", "years": 7}, {"slug": "fleksjob", "years": 1}],
           "services": [{"slug": "jobsamtaler", "price_dkk": 6500, "duration_weeks": 8},
                        {"slug": "mentor", "price_dkk": 3000, "duration_weeks": 4}]}
    diff = sections(old, new)
    groups = {(c.kind, c.name.slug) for c in diff["target_groups"].items}
    assert groups == {("changed", "dagpenge"), ("added", "fleksjob"), ("removed", "sygedagpenge")}
    services = {c.name.slug: c for c in diff["services"].items}
    assert services["jobsamtaler"].kind == "changed" and services["jobsamtaler"].changed_fields == ("price_dkk",)
    assert (services["jobsamtaler"].old["price_dkk"], services["jobsamtaler"].new["price_dkk"]) == (5000, 6500)
    assert services["mentor"].kind == "same"
    assert services["mentor"].name is SERVICES["mentor"] and diff["target_groups"].items[0].name is TARGET_GROUPS["dagpenge"]


def test_languages_offices_capacity_and_contact_are_compared() -> None:
    old = default_revision()
    new = {**old, "languages": ["da", "uk"], "offices": [office("8000"), office("5000", "Vestergade 2")],
           "capacity": "waitlist", "waiting_weeks": 3, "contact": {**old["contact"], "phone": "+45 11 22 33 44"}}
    diff = sections(old, new)
    assert diff["languages"].added == [LANGUAGES["uk"]] and diff["languages"].kept == [LANGUAGES["da"]]
    assert [(c.kind, c.name) for c in diff["offices"].items] == [("added", "Vestergade 2, 5000 Odense C"),
                                                                 ("same", "Testvej 1, 8000 Aarhus C")]
    capacity = {v.key: v for v in diff["capacity"].values}
    assert capacity["capacity"].changed and capacity["waiting_weeks"].new == 3
    assert not capacity["first_contact_days"].changed
    contact = {v.key: v for v in diff["contact"].values}
    assert contact["phone"].changed and not contact["email"].changed


def test_a_text_diff_marks_the_words_added_and_removed() -> None:
    segments = text_segments("Vi hjælper ledige i Aarhus.", "Vi hjælper unge ledige i Odense.")
    assert [(s.op, s.text) for s in segments if s.op != "equal"] == [
        ("insert", " unge"), ("delete", "Aarhus."), ("insert", "Odense.")]
    assert "".join(s.text for s in segments if s.op != "delete") == "Vi hjælper unge ledige i Odense."


def test_the_standards_are_fixed_data_with_danish_and_english_labels() -> None:
    slugs = [s.slug for s in standards.STANDARDS]
    assert slugs[:4] == ["cvr", "coverage", "services_priced", "method"]
    assert {"dpa", "complaints", "contact"} <= set(slugs)
    assert all(s.da and s.en and s.hint_da and s.hint_en for s in standards.STANDARDS)
    assert standards.BY_SLUG["dpa"].da == "Databehandleraftale er bekræftet"


def test_the_precheck_passes_a_good_listing_and_leaves_agreements_to_a_person() -> None:
    auto = standards.precheck({"cvr": "12345674"}, default_revision())
    assert {k for k, v in auto.items() if v.result is True} == {"cvr", "coverage", "services_priced", "method",
                                                                 "offices", "contact"}
    assert auto["dpa"].result is None and auto["complaints"].result is None


def test_the_precheck_names_what_is_wrong() -> None:
    bad = {**default_revision(), "municipalities": [], "remote": False, "method": "Kort.",
           "services": [{"slug": "mentor", "price_dkk": None, "duration_weeks": 4}],
           "contact": {"email": "ikke-en-adresse", "phone": ""}}
    auto = standards.precheck({"cvr": "12345678"}, bad)
    assert {k for k, v in auto.items() if v.result is False} == {"cvr", "coverage", "services_priced", "method",
                                                                  "contact"}
    assert auto["method"].note_da == "Metodebeskrivelsen er kun 5 tegn (mindst 80)."
    assert auto["services_priced"].note("en") == "1 service(s) without a valid price."


def test_a_price_of_zero_counts_as_a_price() -> None:
    free = {**default_revision(), "services": [{"slug": "jobsamtaler", "price_dkk": 0, "duration_weeks": 2}]}
    assert standards.precheck({"cvr": "12345674"}, free)["services_priced"].result is True


def test_the_checklist_record_keeps_the_confirmation_and_the_automatic_result() -> None:
    checklist = standards.parse_checklist(["cvr", "dpa", "unknown"])
    assert standards.unmet(checklist) == ["coverage", "services_priced", "method", "offices", "contact", "complaints"]
    record = standards.checklist_record(checklist, standards.precheck({"cvr": "12345674"}, default_revision()))
    assert record["cvr"] == {"met": True, "automatic": True}
    assert record["method"] == {"met": False, "automatic": True}
    assert record["dpa"] == {"met": True, "automatic": None}
