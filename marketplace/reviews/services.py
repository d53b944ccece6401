"""Review use cases: "Følte du dig hjulpet?" from citizens, moderation, and the provider's reply.

    await write_review(citizen, reference, rating=4, text="…")     # one per enrolment
    await edit_review(citizen, reference, rating=5, text="…")      # changed text goes back to moderation
    await approve_text(authority, review_id, text_hash)            # /authority/reviews
    await reject_text(authority, review_id, text_hash, reason)
    await reply(member, review_id, "…")                            # once, publicly

Rules:
- Only the citizen of an enrolment that has started (started, ended, or switched after it started)
  can write about it; one review per enrolment (also guaranteed by the unique `enrolment` column).
- The rating counts in the provider's average at once when there is no text, and when the text is
  published; while a text waits for moderation, or after it was rejected, the rating is held back
  (`search.sync.load_snapshots`). Text is public only once the authority publishes it.
- At most RATE_LIMIT review writes (new or edited) per citizen per RATE_WINDOW: counted from the
  audit log, inside the write transaction.
- Every write enqueues the provider's search document in the same transaction (average and count).
- Moderation is tied to the text the moderator saw (`text_hash`): a text edited in the meantime is
  not published by a stale click.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from marketplace.accounts.guards import require_own_provider
from marketplace.accounts.tables import User
from marketplace.audit import services as audit
from marketplace.audit.tables import AuditEntry
from marketplace.db import write_transaction
from marketplace.enrolments.tables import Enrolment
from marketplace.errors import Conflict, DomainError, InvalidInput, NotFound, collect
from marketplace.reviews.tables import Review
from search import outbox

RATE_LIMIT = 5
RATE_WINDOW = timedelta(hours=1)
MAX_TEXT_CHARS = 2000
WRITE_ACTIONS = ("review.create", "review.edit")
REVIEWABLE = (Enrolment.Status.started.value, Enrolment.Status.ended.value, Enrolment.Status.switched.value)


class RateLimited(DomainError):
    """Too many review writes in a short time."""

    status_code = 429

    def __init__(self) -> None:
        super().__init__(
            f"Du har skrevet eller rettet {RATE_LIMIT} oplevelser inden for den seneste time. Vent lidt, og prøv igen "
            "senere.",
            f"You have written or edited {RATE_LIMIT} experiences within the last hour. Please wait a while and try "
            "again later.",
        )


def text_hash(text: str) -> str:
    """A short fingerprint of a review text (what a moderator approves or rejects)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _now() -> datetime:
    return datetime.now(timezone.utc)


# -- reading -----------------------------------------------------------------------------------------
@dataclass
class ReviewForm:
    """The citizen's review page: the enrolment and its review (None before the first answer)."""

    enrolment: dict[str, Any]
    review: dict[str, Any] | None

    @property
    def can_review(self) -> bool:
        return can_review(self.enrolment)


def can_review(enrolment: dict[str, Any]) -> bool:
    """True when the enrolment has started (the rule for writing about it)."""
    return enrolment["status"] in REVIEWABLE and enrolment["started_at"] is not None


async def review_form(citizen_id: int, reference: str) -> ReviewForm:
    """The citizen's own enrolment and its review; NotFound for someone else's reference."""
    enrolment = await Enrolment.select(
        *Enrolment.all_columns(), Enrolment.provider.name.as_alias("provider_name"),
        Enrolment.provider.slug.as_alias("provider_slug"),
    ).where(Enrolment.reference == reference[:20], Enrolment.citizen == citizen_id).first()
    if enrolment is None:
        raise NotFound(f"Du har ikke noget valg med kvitteringsnummer {reference[:20]}.",
                       f"You have no choice with receipt number {reference[:20]}.")
    review = await Review.select().where(Review.enrolment == enrolment["id"]).first()
    return ReviewForm(enrolment, review)


async def reviews_by_enrolment(enrolment_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The reviews of these enrolments, by enrolment id."""
    if not enrolment_ids:
        return {}
    rows = await Review.select().where(Review.enrolment.is_in(enrolment_ids))
    return {r["enrolment"]: r for r in rows}


async def latest_reviewable(citizen_id: int, provider_slug: str) -> str | None:
    """The reference of the citizen's newest started enrolment at this provider, or None."""
    row = await Enrolment.select(Enrolment.reference).where(
        Enrolment.citizen == citizen_id, Enrolment.provider.slug == provider_slug[:120],
        Enrolment.status.is_in(list(REVIEWABLE)), Enrolment.started_at.is_not_null(),
    ).order_by(Enrolment.id, ascending=False).first()
    return row["reference"] if row else None


# -- writing -----------------------------------------------------------------------------------------
def _check(rating: str | int | None, text: str) -> tuple[int, str]:
    rating_error = text_error = None
    value = int(rating) if str(rating or "").strip().isdigit() else 0
    if not 1 <= value <= 5:
        rating_error = InvalidInput("rating", "Vælg et svar fra 1 til 5.", "Choose an answer from 1 to 5.")
    text = (text or "").strip().replace("\r\n", "\n")
    if len(text) > MAX_TEXT_CHARS:
        text_error = InvalidInput("text", f"Teksten må højst være {MAX_TEXT_CHARS} tegn – den er {len(text)}.",
                                  f"The text may be at most {MAX_TEXT_CHARS} characters – it is {len(text)}.")
    collect(rating_error, text_error)
    return value, text


async def _check_rate(citizen: User) -> None:
    since = _now() - RATE_WINDOW
    writes = await AuditEntry.count().where(
        AuditEntry.actor_id == citizen.id, AuditEntry.action.is_in(list(WRITE_ACTIONS)), AuditEntry.at >= since)
    if writes >= RATE_LIMIT:
        raise RateLimited()


async def _own_started_enrolment(citizen: User, reference: str) -> dict[str, Any]:
    enrolment = await Enrolment.select().where(
        Enrolment.reference == reference[:20], Enrolment.citizen == citizen.id).first()
    if enrolment is None:
        raise NotFound(f"Du har ikke noget valg med kvitteringsnummer {reference[:20]}.",
                       f"You have no choice with receipt number {reference[:20]}.")
    if not can_review(enrolment):
        raise Conflict("Du kan fortælle om din oplevelse, når dit forløb hos aktøren er startet.",
                       "You can tell about your experience once your course with the provider has started.")
    return enrolment


async def write_review(citizen: User, reference: str, *, rating: str | int | None, text: str) -> int:
    """The citizen's answer about a started enrolment; returns the review id. A text waits for
    moderation. Conflict when the enrolment already has a review (edit it instead)."""
    value, text = _check(rating, text)
    try:
        async with write_transaction():
            enrolment = await _own_started_enrolment(citizen, reference)
            if await Review.exists().where(Review.enrolment == enrolment["id"]):
                raise _already_reviewed()
            await _check_rate(citizen)
            now = _now()
            review = Review(enrolment=enrolment["id"], provider=enrolment["provider"], rating=value, text=text,
                            text_status=Review.TextStatus.pending if text else Review.TextStatus.none,
                            created_at=now, updated_at=now)
            await review.save()
            await audit.record(citizen, "review.create", "review", review.id, after={
                "enrolment": enrolment["id"], "provider": enrolment["provider"], "rating": value,
                "text_status": review.text_status, "text_chars": len(text),
            })
            await outbox.enqueue(enrolment["provider"], "review")
    except DomainError:
        raise
    except Exception as exc:  # two submissions at once: the unique enrolment column refuses the second
        if type(exc).__name__ in ("IntegrityError", "UniqueViolationError"):
            raise _already_reviewed() from exc
        raise
    return int(review.id)


def _already_reviewed() -> Conflict:
    return Conflict("Du har allerede fortalt om dette forløb. Du kan rette din oplevelse i stedet.",
                    "You have already told about this course. You can edit your experience instead.")


async def edit_review(citizen: User, reference: str, *, rating: str | int | None, text: str) -> None:
    """Change the rating and/or text. A changed text goes back to moderation (or, when emptied,
    there is nothing to moderate); an unchanged text keeps its status."""
    value, text = _check(rating, text)
    async with write_transaction():
        enrolment = await _own_started_enrolment(citizen, reference)
        review = await Review.select().where(Review.enrolment == enrolment["id"]).first()
        if review is None:
            raise NotFound("Du har ikke fortalt om dette forløb endnu.", "You have not told about this course yet.")
        await _check_rate(citizen)
        values: dict[Any, Any] = {Review.rating: value, Review.updated_at: _now()}
        status = review["text_status"]
        if text != review["text"]:
            status = Review.TextStatus.pending.value if text else Review.TextStatus.none.value
            values.update({Review.text: text, Review.text_status: status, Review.moderation_reason: ""})
        await Review.update(values).where(Review.id == review["id"])
        await audit.record(citizen, "review.edit", "review", review["id"], before={
            "rating": review["rating"], "text_status": review["text_status"],
        }, after={"rating": value, "text_status": status, "text_changed": text != review["text"],
                  "text_chars": len(text)})
        await outbox.enqueue(enrolment["provider"], "review")


# -- moderation --------------------------------------------------------------------------------------
async def pending_reviews(limit: int = 100) -> list[dict[str, Any]]:
    """Texts waiting for moderation, oldest first, with the provider's name and the text's hash."""
    rows = await Review.select(
        Review.id, Review.rating, Review.text, Review.updated_at, Review.provider,
        Review.provider.name.as_alias("provider_name"), Review.provider.slug.as_alias("provider_slug"),
    ).where(Review.text_status == Review.TextStatus.pending).order_by(Review.updated_at).limit(limit)
    for row in rows:
        row["text_hash"] = text_hash(row["text"])
    return rows


async def _pending(review_id: int, seen_hash: str) -> dict[str, Any]:
    review = await Review.select().where(Review.id == review_id).first()
    if review is None:
        raise NotFound(f"Ingen oplevelse med nummer {review_id}.", f"No experience with number {review_id}.")
    if review["text_status"] != Review.TextStatus.pending.value:
        raise Conflict("Teksten er allerede behandlet (eller trukket tilbage).",
                       "The text has already been handled (or withdrawn).")
    if text_hash(review["text"]) != seen_hash:
        raise Conflict("Borgeren har rettet teksten, siden du åbnede siden. Læs den nye tekst, før du tager stilling.",
                       "The citizen has edited the text since you opened the page. Read the new text before deciding.")
    return review


async def approve_text(authority: User, review_id: int, seen_hash: str) -> None:
    """Publish a pending text (the rating then counts); audited; the search document is refreshed."""
    async with write_transaction():
        review = await _pending(review_id, seen_hash)
        await Review.update({Review.text_status: Review.TextStatus.published, Review.moderation_reason: "",
                             Review.updated_at: _now()}).where(Review.id == review_id)
        await audit.record(authority, "review.approve", "review", review_id, before={"text_status": "pending"},
                           after={"text_status": "published", "text_hash": seen_hash, "provider": review["provider"]})
        await outbox.enqueue(review["provider"], "review-moderated")


async def reject_text(authority: User, review_id: int, seen_hash: str, reason: str) -> None:
    """Reject a pending text with a reason the citizen sees; audited; the rating stays held back."""
    reason = reason.strip()
    if not reason:
        raise InvalidInput(f"reason-{review_id}", "Skriv hvorfor teksten afvises – borgeren ser begrundelsen.",
                           "Say why the text is rejected – the citizen sees the reason.")
    if len(reason) > 1000:
        raise InvalidInput(f"reason-{review_id}", "Begrundelsen må højst være 1000 tegn.",
                           "The reason may be at most 1000 characters.")
    async with write_transaction():
        review = await _pending(review_id, seen_hash)
        await Review.update({Review.text_status: Review.TextStatus.rejected, Review.moderation_reason: reason,
                             Review.updated_at: _now()}).where(Review.id == review_id)
        await audit.record(authority, "review.reject", "review", review_id, before={"text_status": "pending"},
                           after={"text_status": "rejected", "reason": reason, "text_hash": seen_hash,
                                  "provider": review["provider"]})
        await outbox.enqueue(review["provider"], "review-moderated")


# -- the provider's reply ----------------------------------------------------------------------------
async def provider_reviews(user: User, provider_id: int) -> list[dict[str, Any]]:
    """The provider's reviews, newest first (object check). Texts not yet published are not shown."""
    require_own_provider(user, provider_id)
    rows = await Review.select(
        Review.id, Review.rating, Review.text, Review.text_status, Review.reply, Review.reply_at, Review.created_at,
    ).where(Review.provider == provider_id).order_by(Review.created_at, ascending=False)
    for row in rows:
        if row["text_status"] != Review.TextStatus.published.value:
            row["text"] = ""
    return rows


async def reply(user: User, review_id: int, text: str) -> None:
    """The provider's one public reply to a published review (object check; Conflict the second time)."""
    text = (text or "").strip().replace("\r\n", "\n")
    if not text:
        raise InvalidInput(f"reply-{review_id}", "Skriv jeres svar.", "Write your reply.")
    if len(text) > MAX_TEXT_CHARS:
        raise InvalidInput(f"reply-{review_id}", f"Svaret må højst være {MAX_TEXT_CHARS} tegn.",
                           f"The reply may be at most {MAX_TEXT_CHARS} characters.")
    async with write_transaction():
        review = await Review.select().where(Review.id == review_id).first()
        if review is None:
            raise NotFound(f"Ingen oplevelse med nummer {review_id}.", f"No experience with number {review_id}.")
        require_own_provider(user, review["provider"])
        if review["reply"]:
            raise Conflict("I har allerede svaret på denne oplevelse. Et svar kan kun gives én gang.",
                           "You have already replied to this experience. A reply can be given only once.")
        if review["text_status"] != Review.TextStatus.published.value:
            raise Conflict("I kan svare, når borgerens tekst er offentliggjort.",
                           "You can reply once the citizen's text is published.")
        await Review.update({Review.reply: text, Review.reply_at: _now()}).where(
            Review.id == review_id, Review.reply == "")
        await outbox.enqueue(review["provider"], "review-reply")  # the provider page shows it (its cache listens)
        await audit.record(user, "review.reply", "review", review_id, after={"reply_chars": len(text)})
