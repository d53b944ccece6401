"""Experiences: who may write, one per choice, editing, moderation, the provider's one reply, the
rate limit, escaping, and the average reaching the search index through the outbox."""
from __future__ import annotations

from factories import index_all, indexed_documents, make_provider
from litestar.concurrency import sync_to_thread

from marketplace.audit.tables import AuditEntry
from marketplace.reviews.services import RATE_LIMIT, text_hash
from marketplace.reviews.tables import Review
from search.tables import OutboxEvent
from tests.enrolments.support import as_user, citizen, make_enrolment, make_user, post, text_of_page


async def _review(client, reference: str, rating: int | str = 4, text: str = "", *, edit: bool = False):
    return await post(client, f"/me/enrolments/{reference}/review{'/edit' if edit else ''}",
                      {"rating": str(rating), "text": text})


async def _started(client, provider: dict, status: str = "started"):
    user = await citizen(client)
    return user, await make_enrolment(user.id, provider["id"], status=status)


async def _review_row() -> dict:
    row = await Review.select().first()
    assert row is not None
    return row


async def _moderate(client, verdict: str, reason: str = "") -> object:
    """Log in as the authority and publish or reject the one pending text."""
    await as_user(client, await make_user("authority"))
    row = await _review_row()
    data = {"text_hash": text_hash(row["text"])}
    if reason:
        data["reason"] = reason
    return await post(client, f"/authority/reviews/{row['id']}/{verdict}", data)


# -- who may write -----------------------------------------------------------------------------------
async def test_no_review_before_the_course_has_started(client) -> None:
    provider = await make_provider()
    for status in ("chosen", "accepted", "declined"):
        user, reference = await _started(client, provider, status)
        page = await client.get(f"/me/enrolments/{reference}/review")
        assert page.status_code == 409 and "når dit forløb hos aktøren er startet" in text_of_page(page)
        response = await _review(client, reference, 5)
        assert response.status_code == 409
        assert "Du kan fortælle om din oplevelse, når dit forløb hos aktøren er startet." in text_of_page(response)
    assert await Review.count() == 0


async def test_a_started_or_ended_course_can_be_reviewed_and_the_rating_counts_at_once(client, engine) -> None:
    provider = await make_provider()
    _, started = await _started(client, provider, "started")
    response = await _review(client, started, 4)
    assert response.status_code == 303
    assert response.headers["location"] == f"/me/enrolments/{started}/review?saved=1"
    _, ended = await _started(client, provider, "ended")
    assert (await _review(client, ended, 2)).status_code == 303

    await index_all(engine)
    doc = (await sync_to_thread(indexed_documents, engine))[provider["id"]]
    assert (doc["review_avg"], doc["review_count"]) == (3.0, 2)
    assert await OutboxEvent.count().where(OutboxEvent.reason == "review") == 2


async def test_one_review_per_choice(client) -> None:
    provider = await make_provider()
    _, reference = await _started(client, provider)
    assert (await _review(client, reference, 4)).status_code == 303

    second = await _review(client, reference, 1)

    assert second.status_code == 409
    assert "Du har allerede fortalt om dette forløb. Du kan rette din oplevelse i stedet." in text_of_page(second)
    assert await Review.count() == 1 and (await _review_row())["rating"] == 4


async def test_the_rating_must_be_1_to_5_and_the_text_is_kept(client) -> None:
    provider = await make_provider()
    _, reference = await _started(client, provider)
    response = await _review(client, reference, "7", "Rigtig god mentor")
    assert response.status_code == 400
    assert '<a href="#rating">Vælg et svar fra 1 til 5.</a>' in response.text
    assert "Rigtig god mentor</textarea>" in response.text
    assert await Review.count() == 0


async def test_the_form_uses_radio_buttons_for_did_you_feel_helped(client) -> None:
    provider = await make_provider()
    _, reference = await _started(client, provider)
    page = await client.get(f"/me/enrolments/{reference}/review")
    assert page.status_code == 200 and "Følte du dig hjulpet?" in page.text
    for n in range(1, 6):
        assert f'type="radio" id="rating-{n}" name="rating" value="{n}"' in page.text


# -- editing and moderation --------------------------------------------------------------------------
async def test_text_waits_for_moderation_and_is_not_public_until_published(client, engine) -> None:
    provider = await make_provider(name="Jobvejen")
    _, reference = await _started(client, provider)
    assert (await _review(client, reference, 5, "Min mentor hjalp mig i job.")).status_code == 303
    row = await _review_row()
    assert row["text_status"] == "pending"

    page = await client.get(f"/providers/{provider['slug']}")
    assert "Min mentor hjalp mig i job." not in page.text
    await index_all(engine)
    doc = (await sync_to_thread(indexed_documents, engine))[provider["id"]]
    assert doc["review_count"] == 0  # held back while the text waits

    published = await _moderate(client, "approve")
    assert published.status_code == 303 and published.headers["location"] == "/authority/reviews?done=approved"
    assert (await _review_row())["text_status"] == "published"
    page = await client.get(f"/providers/{provider['slug']}")
    assert "Min mentor hjalp mig i job." in page.text
    await index_all(engine)
    doc = (await sync_to_thread(indexed_documents, engine))[provider["id"]]
    assert (doc["review_avg"], doc["review_count"]) == (5.0, 1)
    entry = await AuditEntry.select().where(AuditEntry.action == "review.approve").first()
    assert entry is not None and entry["after"]


async def test_a_rejected_text_needs_a_reason_which_the_citizen_sees(client, engine) -> None:
    provider = await make_provider()
    user, reference = await _started(client, provider)
    await _review(client, reference, 1, "Konsulenten Hans Hansen var uforskammet.")

    missing = await _moderate(client, "reject")
    row = await _review_row()
    assert missing.status_code == 400
    assert f'<a href="#reason-{row["id"]}">Skriv hvorfor teksten afvises' in missing.text
    assert row["text_status"] == "pending"

    rejected = await post(client, f"/authority/reviews/{row['id']}/reject",
                          {"text_hash": text_hash(row["text"]), "reason": "Teksten nævner en medarbejder ved navn."})
    assert rejected.status_code == 303
    row = await _review_row()
    assert row["text_status"] == "rejected" and row["moderation_reason"] == "Teksten nævner en medarbejder ved navn."
    assert await AuditEntry.count().where(AuditEntry.action == "review.reject") == 1
    assert "Hans Hansen" not in (await client.get(f"/providers/{provider['slug']}")).text
    await index_all(engine)
    assert (await sync_to_thread(indexed_documents, engine))[provider["id"]]["review_count"] == 0

    await as_user(client, user)
    page = text_of_page(await client.get(f"/me/enrolments/{reference}/review"))
    assert "Din tekst blev ikke offentliggjort" in page and "Teksten nævner en medarbejder ved navn." in page


async def test_editing_the_text_sends_it_back_to_moderation(client) -> None:
    provider = await make_provider()
    user, reference = await _started(client, provider)
    await _review(client, reference, 3, "Fint nok.")
    await _moderate(client, "approve")
    await as_user(client, user)

    same_text = await _review(client, reference, 4, "Fint nok.", edit=True)
    assert same_text.status_code == 303
    row = await _review_row()
    assert (row["rating"], row["text_status"]) == (4, "published")  # only the rating changed

    changed = await _review(client, reference, 4, "Fint nok – og nu har jeg fået job!", edit=True)
    assert changed.status_code == 303
    row = await _review_row()
    assert row["text_status"] == "pending" and row["text"] == "Fint nok – og nu har jeg fået job!"
    assert "Fint nok" not in (await client.get(f"/providers/{provider['slug']}")).text


async def test_a_text_edited_after_the_moderator_read_it_is_not_published_by_a_stale_click(client) -> None:
    provider = await make_provider()
    user, reference = await _started(client, provider)
    await _review(client, reference, 3, "Første udgave")
    seen = text_hash("Første udgave")
    await _review(client, reference, 3, "Anden udgave med noget nyt", edit=True)
    await as_user(client, await make_user("authority"))
    row = await _review_row()

    response = await post(client, f"/authority/reviews/{row['id']}/approve", {"text_hash": seen})

    assert response.status_code == 409
    assert "Borgeren har rettet teksten" in text_of_page(response)
    assert (await _review_row())["text_status"] == "pending"


async def test_html_in_a_text_is_shown_as_text(client) -> None:
    provider = await make_provider()
    _, reference = await _started(client, provider)
    await _review(client, reference, 5, "<script>alert('hej')</script> <b>fed</b>")

    queue = await _moderate(client, "approve")
    assert queue.status_code == 303
    page = await client.get(f"/providers/{provider['slug']}")

    assert "<script>alert" not in page.text and "<b>fed</b>" not in page.text
    assert "&lt;script&gt;alert(&#39;hej&#39;)&lt;/script&gt; &lt;b&gt;fed&lt;/b&gt;" in page.text


async def test_the_moderation_queue_is_for_the_authority_only(client) -> None:
    await citizen(client)
    assert (await client.get("/authority/reviews")).status_code == 403
    provider = await make_provider()
    await as_user(client, await make_user("provider", provider_id=provider["id"]))
    assert (await client.get("/authority/reviews")).status_code == 403


# -- the rate limit ----------------------------------------------------------------------------------
async def test_review_writes_are_rate_limited_per_citizen(client) -> None:
    provider = await make_provider()
    _, reference = await _started(client, provider)
    assert (await _review(client, reference, 1)).status_code == 303
    for n in range(2, RATE_LIMIT + 1):
        assert (await _review(client, reference, (n % 5) + 1, edit=True)).status_code == 303

    limited = await _review(client, reference, 5, "Endnu en ændring", edit=True)

    assert limited.status_code == 429
    assert f"Du har skrevet eller rettet {RATE_LIMIT} oplevelser inden for den seneste time." in text_of_page(limited)
    assert "Endnu en ændring</textarea>" in limited.text  # what was typed is kept
    assert (await _review_row())["text"] == ""
    # another citizen is not affected
    _, other = await _started(client, provider)
    assert (await _review(client, other, 4)).status_code == 303


async def test_the_limit_counts_only_the_last_hour(client) -> None:
    from datetime import datetime, timedelta, timezone

    provider = await make_provider()
    user, reference = await _started(client, provider)
    await _review(client, reference, 1)
    for _ in range(RATE_LIMIT - 1):
        await _review(client, reference, 2, edit=True)
    await AuditEntry.update({AuditEntry.at: datetime.now(timezone.utc) - timedelta(minutes=61)}).where(
        AuditEntry.actor_id == user.id)
    assert (await _review(client, reference, 3, edit=True)).status_code == 303


# -- the provider's reply ----------------------------------------------------------------------------
async def _published_review(client, provider: dict, text: str = "God hjælp til jobsøgning.") -> dict:
    _, reference = await _started(client, provider)
    await _review(client, reference, 4, text)
    await _moderate(client, "approve")
    return await _review_row()


async def test_the_provider_replies_once_publicly(client) -> None:
    provider = await make_provider(name="Jobvejen")
    review = await _published_review(client, provider)
    await as_user(client, await make_user("provider", provider_id=provider["id"]))

    page = await client.get("/provider/reviews")
    assert page.status_code == 200 and "God hjælp til jobsøgning." in page.text
    assert f'action="/provider/reviews/{review["id"]}/reply"' in page.text
    empty = await post(client, f"/provider/reviews/{review['id']}/reply", {"reply": " "})
    assert empty.status_code == 400 and f'<a href="#reply-{review["id"]}">Skriv jeres svar.</a>' in empty.text

    first = await post(client, f"/provider/reviews/{review['id']}/reply", {"reply": "Tak, det glæder os!"})
    assert first.status_code == 303
    second = await post(client, f"/provider/reviews/{review['id']}/reply", {"reply": "Et svar mere"})
    assert second.status_code == 409
    assert "I har allerede svaret på denne oplevelse." in text_of_page(second)
    assert (await _review_row())["reply"] == "Tak, det glæder os!"

    public = text_of_page(await client.get(f"/providers/{provider['slug']}"))
    assert "Svar fra aktøren: Tak, det glæder os!" in public
    assert await AuditEntry.count().where(AuditEntry.action == "review.reply") == 1


async def test_a_text_not_yet_published_cannot_be_answered_nor_seen_by_the_provider(client) -> None:
    provider = await make_provider()
    _, reference = await _started(client, provider)
    await _review(client, reference, 2, "Venter stadig på moderation")
    row = await _review_row()
    await as_user(client, await make_user("provider", provider_id=provider["id"]))

    assert "Venter stadig på moderation" not in (await client.get("/provider/reviews")).text
    response = await post(client, f"/provider/reviews/{row['id']}/reply", {"reply": "Hmm"})
    assert response.status_code == 409
    assert (await _review_row())["reply"] == ""


async def test_provider_b_cannot_reply_to_provider_as_review(client) -> None:
    provider_a, provider_b = await make_provider(), await make_provider()
    review = await _published_review(client, provider_a, "Kun for A")
    await as_user(client, await make_user("provider", provider_id=provider_b["id"]))

    assert "Kun for A" not in (await client.get("/provider/reviews")).text
    response = await post(client, f"/provider/reviews/{review['id']}/reply", {"reply": "Vi er B"})
    assert response.status_code == 403
    assert (await _review_row())["reply"] == ""


# -- from the provider page --------------------------------------------------------------------------
async def test_the_provider_page_leads_a_citizen_to_their_review_form(client) -> None:
    provider = await make_provider()
    page = await client.get(f"/providers/{provider['slug']}")
    assert f'href="/providers/{provider["slug"]}/review"' in page.text

    user = await citizen(client)
    none_yet = await client.get(f"/providers/{provider['slug']}/review")
    assert none_yet.status_code == 409 and "når dit forløb hos aktøren er startet" in text_of_page(none_yet)

    reference = await make_enrolment(user.id, provider["id"], status="started")
    redirect = await client.get(f"/providers/{provider['slug']}/review")
    assert redirect.status_code == 302 and redirect.headers["location"] == f"/me/enrolments/{reference}/review"
