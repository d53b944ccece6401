"""A Litestar `Store` kept in the database (`SessionRecord`), so sessions survive restarts and any
number of app processes can serve the same visitor. Expired values are never returned; they are
deleted when met and by `delete_expired()`.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from litestar.stores.base import Store

from marketplace.accounts.tables import SessionRecord
from marketplace.db import write_transaction


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _expiry(expires_in: int | timedelta | None) -> datetime | None:
    """Like Litestar's own stores: a falsy `expires_in` means no expiry."""
    if not expires_in:
        return None
    delta = expires_in if isinstance(expires_in, timedelta) else timedelta(seconds=expires_in)
    return _now() + delta


def _is_expired(expires_at: datetime | None) -> bool:
    return expires_at is not None and expires_at <= _now()


class DatabaseStore(Store):
    """Key/value store on the `session_record` table (key ≤ 128 characters)."""

    __slots__ = ()

    async def set(self, key: str, value: str | bytes, expires_in: int | timedelta | None = None) -> None:
        """Insert or replace `key`, with a new expiry."""
        data = value.encode() if isinstance(value, str) else value
        async with write_transaction():
            await SessionRecord.insert(
                SessionRecord(key=key, value=data, expires_at=_expiry(expires_in))
            ).on_conflict(
                target=SessionRecord.key, action="DO UPDATE", values=[SessionRecord.value, SessionRecord.expires_at]
            )

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        """The value, unless missing or expired. `renew_for` moves a set expiry forward."""
        row = await SessionRecord.select(SessionRecord.value, SessionRecord.expires_at).where(
            SessionRecord.key == key
        ).first()
        if row is None:
            return None
        if _is_expired(row["expires_at"]):
            await self.delete(key)
            return None
        if renew_for and row["expires_at"] is not None:
            async with write_transaction():
                await SessionRecord.update({SessionRecord.expires_at: _expiry(renew_for)}).where(
                    SessionRecord.key == key
                )
        return bytes(row["value"])

    async def delete(self, key: str) -> None:
        """Remove `key`; nothing happens when it does not exist."""
        async with write_transaction():
            await SessionRecord.delete().where(SessionRecord.key == key)

    async def delete_all(self) -> None:
        """Remove every value (every session: everybody is logged out)."""
        async with write_transaction():
            await SessionRecord.delete(force=True)

    async def exists(self, key: str) -> bool:
        """True when `key` holds a value that has not expired."""
        return await SessionRecord.exists().where(
            (SessionRecord.key == key) & ((SessionRecord.expires_at.is_null()) | (SessionRecord.expires_at > _now()))
        )

    async def expires_in(self, key: str) -> int | None:
        """Seconds until `key` expires; None when it does not exist or never expires."""
        row = await SessionRecord.select(SessionRecord.expires_at).where(SessionRecord.key == key).first()
        if row is None or row["expires_at"] is None:
            return None
        return max(0, int((row["expires_at"] - _now()).total_seconds()))

    async def delete_expired(self) -> int:
        """Remove every expired value; return how many."""
        async with write_transaction():
            count = await SessionRecord.count().where(SessionRecord.expires_at <= _now())
            if count:
                await SessionRecord.delete().where(SessionRecord.expires_at <= _now())
        return count
