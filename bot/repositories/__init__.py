"""Each capability's SQL in its own module, used through `bot.storage.Storage` (which owns the
connection, its transactions and the migrations). Nothing here imports telegram.

Moments are stored as UTC ISO-8601 text to the second: `timestamp` writes one, `moment` reads it.
"""

from datetime import UTC, datetime


def timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None
