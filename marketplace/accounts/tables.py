"""Accounts: users with one role, and server-side sessions."""
from enum import Enum

from piccolo.columns import Boolean, Bytea, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from marketplace.providers.tables import Provider


class User(Table, tablename="app_user"):
    """A person who can log in. Exactly one role; a provider member belongs to one provider.
    No CPR number is ever stored."""

    class Role(str, Enum):
        citizen = "citizen"
        provider = "provider"
        authority = "authority"

    email = Varchar(length=254, unique=True, help_text="Login name, stored lower-case")
    password_hash = Varchar(length=255, help_text="argon2id hash; empty for accounts that log in elsewhere (MitID)")
    role = Varchar(length=20, choices=Role, index=True)
    display_name = Varchar(length=200)
    provider = ForeignKey(references=Provider, null=True, default=None, help_text="Set for provider members only")
    municipality_code = Integer(null=True, default=None, help_text="Citizen's own municipality (default filter)")
    target_group = Varchar(length=40, help_text="Citizen's own target group slug (default filter)")
    age_band = Varchar(length=10, help_text="Citizen's own age band, for 'people like me'")
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    last_login_at = Timestamptz(null=True, default=None)


class SessionRecord(Table):
    """Server-side session storage (Litestar store backed by the database, so app processes stay
    stateless behind a load balancer)."""

    key = Varchar(length=128, unique=True)
    value = Bytea()
    expires_at = Timestamptz(null=True, default=None, index=True)


class LoginAttempt(Table):
    """Failed login attempts, for rate limiting per account and per address."""

    email = Varchar(length=254, index=True)
    address = Varchar(length=64, index=True)
    at = Timestamptz(default=TimestamptzNow(), index=True)
