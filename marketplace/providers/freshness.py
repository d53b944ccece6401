"""Freshness of listings: a provider confirms its listing at least every CONFIRM_EVERY_DAYS days."""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

CONFIRM_EVERY_DAYS = int(os.environ.get("MARKETPLACE_CONFIRM_EVERY_DAYS", "183"))
REMIND_DAYS_BEFORE = int(os.environ.get("MARKETPLACE_CONFIRM_REMIND_DAYS", "14"))


def is_stale(last_confirmed_at: datetime | None, now: datetime | None = None) -> bool:
    """True when the listing has not been confirmed within the period."""
    if last_confirmed_at is None:
        return True
    now = now or datetime.now(timezone.utc)
    if last_confirmed_at.tzinfo is None:
        last_confirmed_at = last_confirmed_at.replace(tzinfo=timezone.utc)
    return now - last_confirmed_at > timedelta(days=CONFIRM_EVERY_DAYS)
