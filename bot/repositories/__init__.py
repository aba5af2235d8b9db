"""Each capability's SQL in its own module, used through `bot.storage.Storage` (which owns the
connection, its transactions and the migrations). Nothing here imports telegram.

Moments are stored as UTC ISO-8601 text to the second: `timestamp` writes one, `moment` reads it.
"""

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import aiosqlite


def timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


async def fetch_one(
    db: aiosqlite.Connection, sql: str, params: Iterable[Any] | dict[str, Any] = ()
) -> aiosqlite.Row | None:
    """The first row a statement gives (a SELECT's, or what an INSERT … RETURNING returns)."""
    async with db.execute(sql, params if isinstance(params, dict) else tuple(params)) as cursor:
        return await cursor.fetchone()
