"""The listing editor (/provider/listing): it edits the draft revision, validates every field with a
Danish message naming it, keeps what was typed, expands "whole region" / "whole country" on the
server, turns postcodes into coordinates, and never loses an update to a concurrent save."""
from __future__ import annotations

import html

import pytest
from factories import make_provider

from marketplace.audit.tables import AuditEntry
from marketplace.providers.tables import ListingRevision
from marketplace.reference import municipalities

from .support import as_pairs, complete_listing, editor_form, member, post, reject, revisions_of


async def draft_member(client, **overrides):
    """A member of a registered provider whose only revision is a draft."""
    provider = await make_provider(approved=False, **overrides)
    await member(client, provider)
    return provider


async def save(client, form, **extra):
    values = await editor_form(client)
    hidden = {"revision_id": values["revision_id"][0], "version": values["version"][0]}
    return await post(client, "/provider/listing", {**form, **hidden, **extra})


async def test_the_editor_shows_the_draft_with_every_section(client) -> None:
    await draft_member(client, description="Vi hjælper borgere i Aarhus med en fast mentor hele vejen.")

    response = await client.get("/provider/listing")

    assert response.status_code == 200
    page = html.unescape(response.text)
    assert "Vi hjælper borgere i Aarhus med en fast mentor hele vejen." in page
    for text in ("Kommuner I dækker", "Region Midtjylland", "Hele landet", "Vi hjælper også online/digitalt",
                 "Målgrupper I har erfaring med", "Indsatser, pris og varighed", "Sprog", "Adresser",
                 "Første kontakt", "Kontakt-e-mail", "Gem kladde", "Gem og send til godkendelse"):
        assert text in page, text
    assert len([m for m in municipalities()]) == 98 and page.count('name="municipality"') == 98
    values = await editor_form(client)
    assert values["municipality"] == ["751"] and values["capacity"] == ["open"]


async def test_saving_updates_the_draft_in_place_and_bumps_its_version(client) -> None:
    provider = await draft_member(client)
    [before] = await revisions_of(provider["id"])

    response = await save(client, complete_listing(description="En helt ny beskrivelse af vores tilbud til ledige borgere."))

    assert response.status_code == 303 and response.headers["location"] == "/provider/listing?done=saved"
    [after] = await revisions_of(provider["id"])
    assert after["id"] == before["id"] and after["status"] == "draft"
    assert after["version"] == before["version"] + 1
    assert after["description"] == "En helt ny beskrivelse af vores tilbud til ledige borgere."
    assert after["services"] == [{"slug": "mentor", "price_dkk": 12500, "duration_weeks": 10}]
    assert after["target_groups"] == [{"slug": "dagpenge", "years": 4}]
    assert after["contact"] == {"email": "kontakt@aktoer.example", "phone": "70 10 20 30", "website": ""}
    entry = await AuditEntry.select().where(AuditEntry.action == "revision.draft_saved").first().output(load_json=True)
    assert entry["object_id"] == str(before["id"]) and "description" in entry["after"]
    assert "Kladden er gemt" in (await client.get(response.headers["location"])).text


@pytest.mark.parametrize(("changes", "field_id", "message"), [
    ({"description": ""}, "description", "Skriv en beskrivelse af jeres tilbud"),
    ({"description": "For kort."}, "description", "Beskrivelsen skal være mindst 40 tegn"),
    ({"description": "x" * 3001}, "description", "Beskrivelsen må højst være 3.000 tegn"),
    ({"method": ""}, "method", "Beskriv jeres metode"),
    ({"method": "Samtaler."}, "method", "Metodebeskrivelsen skal være mindst 80 tegn"),
    ({"municipality": None, "remote": None}, "coverage", "Vælg mindst én kommune, en hel region eller hele landet"),
    ({"target_group": None, "years_dagpenge": None}, "target-groups", "Vælg mindst én målgruppe"),
    ({"years_dagpenge": ""}, "years-dagpenge", "Angiv antal års erfaring med dagpengemodtagere"),
    ({"years_dagpenge": "fire"}, "years-dagpenge", "et helt tal fra 0 til 60"),
    ({"years_sygedagpenge": "3"}, "years-sygedagpenge", "Sæt kryds ved sygedagpenge, eller slet antal års erfaring"),
    ({"service": None, "price_mentor": None, "weeks_mentor": None}, "services", "Vælg mindst én indsats"),
    ({"price_mentor": ""}, "price-mentor", "Angiv prisen for mentorstøtte i hele kroner"),
    ({"price_mentor": "12,50"}, "price-mentor", "Prisen for mentorstøtte skal være et helt antal kroner"),
    ({"price_mentor": "-500"}, "price-mentor", "Prisen for mentorstøtte skal være et helt antal kroner"),
    ({"weeks_mentor": ""}, "weeks-mentor", "Angiv den typiske varighed af mentorstøtte i hele uger"),
    ({"price_dansk": "4000"}, "price-dansk", "Sæt kryds ved danskundervisning, eller slet pris og varighed"),
    ({"language": None}, "languages", "Vælg mindst ét sprog"),
    ({"office_postcode_1": "9999"}, "office-postcode-1", "Postnummeret 9999 for kontor 1 findes ikke"),
    ({"office_postcode_1": ""}, "office-postcode-1", "Skriv postnummeret for kontor 1"),
    ({"office_address_1": ""}, "office-address-1", "Skriv adressen for kontor 1"),
    ({"office_address_1": "", "office_postcode_1": ""}, "office-address-1", "Skriv mindst én adresse"),
    ({"capacity": ""}, "capacity", "Vælg jeres kapacitet"),
    ({"capacity": "waitlist", "waiting_weeks": ""}, "waiting-weeks", "Angiv ventetiden i hele uger fra 1 til 52"),
    ({"first_contact_days": "31"}, "first-contact-days", "et helt tal fra 1 til 30"),
    ({"first_contact_days": ""}, "first-contact-days", "Angiv inden for hvor mange arbejdsdage"),
    ({"contact_email": "kontakt"}, "contact-email", "Skriv en gyldig e-mail-adresse"),
    ({"contact_phone": "12"}, "contact-phone", "Skriv et telefonnummer med 8 cifre"),
    ({"contact_website": "ikke en adresse"}, "contact-website", "Skriv en gyldig webadresse"),
])
async def test_each_invalid_field_is_named_and_nothing_is_saved(client, changes, field_id, message) -> None:
    provider = await draft_member(client)
    [before] = await revisions_of(provider["id"])

    response = await save(client, complete_listing(**changes))

    assert response.status_code == 400
    page = html.unescape(response.text)
    assert message in page
    assert f'<a href="#{field_id}">' in page and f'id="{field_id}-error"' in page
    assert f'id="{field_id}"' in page  # the summary's link has a target
    [after] = await revisions_of(provider["id"])
    assert after["version"] == before["version"] and after["description"] == before["description"]


async def test_a_refused_form_keeps_what_was_typed(client) -> None:
    await draft_member(client)
    typed = complete_listing(description="Vores nye tekst, som ikke må gå tabt, selv om prisen mangler.",
                             service=["mentor", "dansk"], price_dansk="", weeks_dansk="12",
                             municipality=["101", "147"], office_address_2="Nørregade 3", office_postcode_2="5000")

    response = await save(client, typed)

    assert response.status_code == 400
    page = html.unescape(response.text)
    assert "Vores nye tekst, som ikke må gå tabt, selv om prisen mangler." in page
    assert 'value="12500"' in page and 'name="weeks_dansk" value="12"' in page
    assert 'id="s-dansk" name="service" value="dansk" checked' in page
    assert 'id="m-101" name="municipality" value="101" checked' in page
    assert 'value="Nørregade 3"' in page and "5000 Odense C" in page


async def test_whole_region_and_whole_country_are_applied_on_the_server(client) -> None:
    provider = await draft_member(client)
    capital = sorted(m.code for m in municipalities().values() if m.region_code == 1084)

    await save(client, complete_listing(municipality=["751"], region_all=["1084"]))
    [draft] = await revisions_of(provider["id"])
    assert draft["municipalities"] == sorted(capital + [751])
    values = await editor_form(client)
    assert values["region_all"] == ["1084"]  # shown ticked again: every municipality of it is covered

    await save(client, complete_listing(municipality=None, country_all="1"))
    [draft] = await revisions_of(provider["id"])
    assert draft["municipalities"] == sorted(municipalities()) and len(draft["municipalities"]) == 98
    assert (await editor_form(client))["country_all"] == ["1"]


async def test_unticking_whole_country_keeps_only_the_ticked_municipalities(client) -> None:
    provider = await draft_member(client)
    await save(client, complete_listing(municipality=None, country_all="1"))
    values = await editor_form(client)

    await post(client, "/provider/listing", as_pairs(values, country_all=None, region_all=None, municipality=["101"]))

    [draft] = await revisions_of(provider["id"])
    assert draft["municipalities"] == [101]


async def test_remote_only_help_needs_no_municipality_and_no_office(client) -> None:
    provider = await draft_member(client)

    response = await save(client, complete_listing(municipality=None, remote="1", office_address_1=None,
                                                   office_postcode_1=None))

    assert response.status_code == 303
    [draft] = await revisions_of(provider["id"])
    assert draft["remote"] is True and draft["municipalities"] == [] and draft["offices"] == []


async def test_postcodes_become_town_and_coordinates_from_the_reference_data(client) -> None:
    provider = await draft_member(client)

    await save(client, complete_listing(office_address_1="Vestergade 12", office_postcode_1="8000",
                                        office_address_2="Nørregade 3", office_postcode_2="5000"))

    [draft] = await revisions_of(provider["id"])
    assert draft["offices"] == [
        {"address": "Vestergade 12", "postcode": "8000", "city": "Aarhus C", "lat": 56.1567, "lon": 10.2108},
        {"address": "Nørregade 3", "postcode": "5000", "city": "Odense C", "lat": draft["offices"][1]["lat"],
         "lon": draft["offices"][1]["lon"]},
    ]
    assert 50 < draft["offices"][1]["lat"] < 58
    assert "8000 Aarhus C" in (await client.get("/provider/listing")).text


async def test_a_free_service_has_the_price_0(client) -> None:
    provider = await draft_member(client, type="jobcenter")

    await save(client, complete_listing(price_mentor="0"))

    [draft] = await revisions_of(provider["id"])
    assert draft["services"][0]["price_dkk"] == 0


async def test_prices_may_be_typed_with_thousands_separators(client) -> None:
    provider = await draft_member(client)

    await save(client, complete_listing(price_mentor="12.500 kr."))

    [draft] = await revisions_of(provider["id"])
    assert draft["services"][0]["price_dkk"] == 12500


async def test_editing_a_public_listing_creates_a_new_draft_and_leaves_the_public_one_alone(client) -> None:
    provider = await make_provider(description="Den godkendte tekst om vores tilbud til borgere på dagpenge.")
    await member(client, provider)
    values = await editor_form(client)
    assert values["description"] == ["Den godkendte tekst om vores tilbud til borgere på dagpenge."]
    assert "capacity" not in values  # capacity and contact are changed on their own page

    response = await post(client, "/provider/listing",
                          as_pairs(values, description="En ny tekst, som først skal godkendes af myndigheden.",
                                   capacity="full", contact_email="hacker@example.com"))

    assert response.status_code == 303
    approved, draft = await revisions_of(provider["id"])
    assert approved["status"] == "approved" and approved["version"] == 1
    assert approved["description"] == "Den godkendte tekst om vores tilbud til borgere på dagpenge."
    assert draft["status"] == "draft" and draft["number"] == 2
    assert draft["description"] == "En ny tekst, som først skal godkendes af myndigheden."
    assert draft["services"] == approved["services"] and draft["municipalities"] == approved["municipalities"]
    assert draft["capacity"] == "open" and draft["contact"] == approved["contact"]  # from the public revision


async def test_a_submitted_revision_cannot_be_edited(client) -> None:
    provider = await draft_member(client)
    await save(client, complete_listing(), action="submit")
    values = await editor_form(client)

    page = await client.get("/provider/listing")
    assert "kan ikke rettes, før myndigheden har behandlet den" in html.unescape(page.text)
    assert "Gem kladde" not in page.text and "<fieldset disabled>" in page.text

    [submitted] = await revisions_of(provider["id"])
    response = await post(client, "/provider/listing", as_pairs(
        values, revision_id=str(submitted["id"]), version=str(submitted["version"]),
        description="Et forsøg på at ændre det indsendte opslag bagefter."))
    assert response.status_code == 409
    assert "sendt til godkendelse og kan ikke redigeres" in html.unescape(response.text)
    [after] = await revisions_of(provider["id"])
    assert after["description"] == submitted["description"] and after["version"] == submitted["version"]


async def test_a_rejected_revision_can_be_edited_again_as_a_new_draft(client) -> None:
    provider = await draft_member(client)
    await save(client, complete_listing(description="Den første tekst, som myndigheden afviser om lidt."),
               action="submit")
    [submitted] = await revisions_of(provider["id"])
    await reject(submitted["id"], reason="Metoden beskriver ikke opfølgningen.")

    page = html.unescape((await client.get("/provider/listing")).text)
    assert "Version 1 blev afvist" in page and "Metoden beskriver ikke opfølgningen." in page
    overview = html.unescape((await client.get("/provider")).text)
    assert "Afvist" in overview and "Metoden beskriver ikke opfølgningen." in overview
    values = await editor_form(client)
    assert values["description"] == ["Den første tekst, som myndigheden afviser om lidt."]

    response = await post(client, "/provider/listing",
                          as_pairs(values, description="Den rettede tekst med en bedre beskrivelse af opfølgningen."))

    assert response.status_code == 303
    rejected, draft = await revisions_of(provider["id"])
    assert rejected["status"] == "rejected" and rejected["description"] == "Den første tekst, som myndigheden afviser om lidt."
    assert draft["status"] == "draft" and draft["number"] == 2
    assert draft["description"] == "Den rettede tekst med en bedre beskrivelse af opfølgningen."


async def test_a_stale_save_is_refused_with_a_message_and_keeps_the_typed_values(client) -> None:
    provider = await draft_member(client)
    first_form = await editor_form(client)
    second_form = await editor_form(client)  # a colleague's tab, opened at the same version

    ok = await post(client, "/provider/listing", as_pairs(first_form, description="Den første kollegas tekst, gemt først af de to."))
    assert ok.status_code == 303
    late = await post(client, "/provider/listing", as_pairs(second_form, description="Den anden kollegas tekst, der kom for sent."))

    assert late.status_code == 409
    page = html.unescape(late.text)
    assert "Opslaget er blevet ændret, siden du åbnede siden" in page
    assert "Den anden kollegas tekst, der kom for sent." in page  # what was typed is kept
    [draft] = await revisions_of(provider["id"])
    assert draft["description"] == "Den første kollegas tekst, gemt først af de to."  # no lost update

    from .support import form_values

    again = await post(client, "/provider/listing", as_pairs(form_values(late.text)))  # a deliberate second save
    assert again.status_code == 303
    [draft] = await revisions_of(provider["id"])
    assert draft["description"] == "Den anden kollegas tekst, der kom for sent."


async def test_two_members_starting_a_new_draft_at_once_do_not_both_create_one(client) -> None:
    provider = await make_provider()
    await member(client, provider)
    first_form, second_form = await editor_form(client), await editor_form(client)

    assert (await post(client, "/provider/listing", as_pairs(first_form, method="Første metode " * 8))).status_code == 303
    late = await post(client, "/provider/listing", as_pairs(second_form, method="Anden metode " * 8))

    assert late.status_code == 409
    assert await ListingRevision.count().where(ListingRevision.provider == provider["id"]) == 2
