"""Providers and their listings.

A provider's public listing is its one revision with status `approved`; edits go into a `draft`
revision that is `submitted` for approval and then `approved` (the old approved revision becomes
`superseded`) or `rejected`. Revision content is stored as JSON snapshots: a revision is immutable
once submitted, which keeps the audit trail and the diff for the authority simple.
"""
from enum import Enum

from piccolo.columns import JSON, Boolean, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Provider(Table):
    """The organisation (one CVR number)."""

    class Type(str, Enum):
        privat = "privat"
        jobcenter = "jobcenter"
        a_kasse = "a-kasse"
        uddannelse = "uddannelse"
        socialoekonomisk = "socialoekonomisk"
        andet = "andet"

    class Status(str, Enum):
        registered = "registered"  # no approved listing yet
        active = "active"  # has an approved listing, shown publicly
        suspended = "suspended"
        revoked = "revoked"

    cvr = Varchar(length=8, unique=True, help_text="CVR number, 8 digits with a valid modulus-11 check")
    name = Varchar(length=200)
    slug = Varchar(length=120, unique=True, help_text="Stable URL name, /providers/{slug}")
    type = Varchar(length=20, choices=Type)
    status = Varchar(length=20, choices=Status, default=Status.registered, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    last_confirmed_at = Timestamptz(null=True, default=None, help_text="When the provider last confirmed the listing")
    version = Integer(default=1, help_text="Optimistic-concurrency counter for status changes")


class ListingRevision(Table):
    """One version of a provider's listing."""

    class Status(str, Enum):
        draft = "draft"
        submitted = "submitted"
        approved = "approved"
        rejected = "rejected"
        superseded = "superseded"

    class Capacity(str, Enum):
        open = "open"
        waitlist = "waitlist"
        full = "full"

    provider = ForeignKey(references=Provider, index=True)
    number = Integer(help_text="1, 2, 3 … per provider")
    status = Varchar(length=20, choices=Status, default=Status.draft, index=True)
    description = Text()
    method = Text()
    municipalities = JSON(default=[], help_text="Covered municipality codes, e.g. [101, 147]")
    remote = Boolean(default=False, help_text="Also offers remote / digital help")
    offices = JSON(default=[], help_text='[{"address", "postcode", "city", "lat", "lon"}]')
    target_groups = JSON(default=[], help_text='[{"slug", "years"}]')
    services = JSON(default=[], help_text='[{"slug", "price_dkk", "duration_weeks"}] (whole kroner)')
    languages = JSON(default=[], help_text='Language codes, e.g. ["da", "en"]')
    capacity = Varchar(length=20, choices=Capacity, default=Capacity.open)
    waiting_weeks = Integer(default=0)
    first_contact_days = Integer(default=5, help_text="Working days until first contact after a citizen chooses")
    contact = JSON(default={}, help_text='{"email", "phone", "website"}')
    created_at = Timestamptz(default=TimestamptzNow())
    submitted_at = Timestamptz(null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
    version = Integer(default=1, help_text="Optimistic-concurrency counter: bumped by every change")


class Decision(Table):
    """An authority decision on a revision or a provider. Immutable."""

    class Action(str, Enum):
        approve = "approve"
        reject = "reject"
        suspend = "suspend"
        revoke = "revoke"
        reinstate = "reinstate"

    provider = ForeignKey(references=Provider, index=True)
    revision = ForeignKey(references=ListingRevision, null=True, default=None)
    action = Varchar(length=20, choices=Action)
    checklist = JSON(default={}, help_text="The fixed standards and whether each was met")
    reason = Text()
    decided_by = Integer(null=True, default=None, help_text="User id of the authority user")
    decided_at = Timestamptz(default=TimestamptzNow())
