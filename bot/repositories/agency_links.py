"""Agency chat links: which Telegram chat an agency receives its tickets in, when that was set
from Telegram rather than in `config/catalog.toml` (a group upgraded to a supergroup today; an
office linking its group from Telegram later). A link wins over the catalog's `chat_id`.

Functions take a connection, so that a link can change in the same transaction as what it
causes (messages moved to the new chat, cards offered there).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

# Appended to `bot.storage.MIGRATIONS`.
SCHEMA = """
CREATE TABLE agency_links (
    agency TEXT PRIMARY KEY,
    chat_id INTEGER NOT NULL,
    linked_at TEXT NOT NULL,
    linked_by INTEGER,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX agency_links_by_chat ON agency_links (chat_id);
"""


@dataclass(frozen=True, slots=True)
class AgencyLink:
    agency: str  # catalog key
    chat_id: int
    linked_at: datetime
    linked_by: int | None  # who linked it; None when the bot followed Telegram itself
    note: str  # why, for the operator: "chat -123 became supergroup -100…"


async def all_links(db: aiosqlite.Connection) -> dict[str, AgencyLink]:
    rows = await db.execute_fetchall("SELECT * FROM agency_links ORDER BY agency")
    return {
        row["agency"]: AgencyLink(
            row["agency"],
            row["chat_id"],
            datetime.fromisoformat(row["linked_at"]),
            row["linked_by"],
            row["note"],
        )
        for row in rows
    }


async def link(
    db: aiosqlite.Connection,
    agencies: Iterable[str],
    chat_id: int,
    at: str,
    by: int | None,
    note: str,
) -> None:
    """Point each of `agencies` at `chat_id` (replacing any earlier link)."""
    await db.executemany(
        "INSERT INTO agency_links (agency, chat_id, linked_at, linked_by, note)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (agency) DO UPDATE SET chat_id = excluded.chat_id,"
        " linked_at = excluded.linked_at, linked_by = excluded.linked_by, note = excluded.note",
        [(agency, chat_id, at, by, note) for agency in agencies],
    )


async def unlink(db: aiosqlite.Connection, agency: str) -> bool:
    """Forget the agency's link: the catalog's chat_id applies again."""
    cursor = await db.execute("DELETE FROM agency_links WHERE agency = ?", (agency,))
    return cursor.rowcount > 0
