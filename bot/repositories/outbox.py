"""The outbox's SQL: messages owed, claimed by the delivery worker, and what became of them;
the files the bot generated that uploads send.

Functions take a connection, so that a feature can owe messages in the same transaction as the
change that causes them; `bot.storage.Storage` is the door the rest of the code uses.
"""

import json
from collections.abc import Sequence
from datetime import datetime

import aiosqlite

from bot.outbox import SEPARATOR, FileMedia, GeneratedFile, OutboxRow, Outgoing, StoredFile
from bot.repositories import fetch_one, moment, timestamp

# Appended to `bot.storage.MIGRATIONS`: a message may wait for its time; what is due is found by
# its time (few are due among many waiting for later).
NOT_BEFORE = """
ALTER TABLE outbox ADD COLUMN not_before TEXT;
CREATE INDEX outbox_next_try ON outbox (next_try_at) WHERE state = 'pending';
"""
# Appended to `bot.storage.MIGRATIONS`: whose a message is, for withdrawing it.
REFERENCE = """
ALTER TABLE outbox ADD COLUMN reference TEXT;
CREATE INDEX outbox_by_reference ON outbox (reference, state) WHERE reference IS NOT NULL;
"""
# Appended to `bot.storage.MIGRATIONS`: files the bot generated, one row per file however many
# messages send it; its bytes until Telegram holds it (file_id) or no message needs them.
UPLOADS = """
CREATE TABLE generated_files (
    id INTEGER PRIMARY KEY,
    sha256 TEXT NOT NULL,
    media TEXT NOT NULL,
    filename TEXT NOT NULL,
    size INTEGER NOT NULL,
    content BLOB,
    file_id TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (sha256, media, filename)
);
ALTER TABLE outbox ADD COLUMN generated_file INTEGER REFERENCES generated_files (id);
CREATE INDEX outbox_by_generated_file ON outbox (generated_file, state)
    WHERE generated_file IS NOT NULL;
"""


async def insert(db: aiosqlite.Connection, messages: Sequence[Outgoing], now: datetime) -> None:
    """Owe `messages`: each is first tried at once, or at its `not_before`. The files uploads
    send are stored once each."""
    at = timestamp(now)
    files: dict[GeneratedFile, int] = {}
    for m in messages:
        if m.upload is not None and m.upload not in files:
            files[m.upload] = await _store_file(db, m.upload, at)
    await db.executemany(
        "INSERT INTO outbox (chat_id, kind, payload, priority, next_try_at, created_at,"
        " ticket_id, broadcast_id, expires_at, not_before, reference, generated_file)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                m.chat_id,
                m.kind,
                json.dumps(m.payload, ensure_ascii=False),
                m.priority,
                timestamp(max(now, m.not_before)) if m.not_before else at,
                at,
                m.ticket_id,
                m.broadcast_id,
                timestamp(m.expires_at) if m.expires_at else None,
                timestamp(m.not_before) if m.not_before else None,
                m.reference,
                None if m.upload is None else files[m.upload],
            )
            for m in messages
        ],
    )


async def _store_file(db: aiosqlite.Connection, file: GeneratedFile, at: str) -> int:
    """The id of `file` among the generated files, storing it if new. A file sent before keeps
    its file id and needs no bytes; one whose bytes were dropped unsent gets them back."""
    row = await fetch_one(
        db,
        "INSERT INTO generated_files (sha256, media, filename, size, content, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (sha256, media, filename) DO UPDATE"
        " SET content = COALESCE(generated_files.content,"
        "  CASE WHEN generated_files.file_id IS NULL THEN excluded.content END) RETURNING id",
        (file.sha256, file.media, file.filename, len(file.content), file.content, at),
    )
    assert row is not None  # an upsert returns its row
    return int(row["id"])


async def stored_file(db: aiosqlite.Connection, file: int) -> StoredFile | None:
    r = await fetch_one(
        db,
        "SELECT id, media, filename, file_id, content FROM generated_files WHERE id = ?",
        (file,),
    )
    if r is None:
        return None
    return StoredFile(r["id"], FileMedia(r["media"]), r["filename"], r["file_id"], r["content"])


async def keep_file_id(db: aiosqlite.Connection, file: int, telegram_file_id: str) -> None:
    """Telegram holds the file now: later messages send its id, its bytes go."""
    await db.execute(
        "UPDATE generated_files SET file_id = ?, content = NULL WHERE id = ?",
        (telegram_file_id, file),
    )


async def drop_unneeded_files(db: aiosqlite.Connection) -> int:
    """Drop the bytes of generated files that no message still to be sent needs (withdrawn or
    given up before the file was uploaded). Returns how many files."""
    cursor = await db.execute(
        "UPDATE generated_files SET content = NULL WHERE content IS NOT NULL AND NOT EXISTS ("
        " SELECT 1 FROM outbox WHERE outbox.generated_file = generated_files.id"
        " AND outbox.state IN ('pending', 'sending'))"
    )
    return cursor.rowcount


async def bytes_held(db: aiosqlite.Connection) -> int:
    """How many bytes of generated files the outbox holds for uploads still to make."""
    row = await fetch_one(
        db, "SELECT COALESCE(SUM(size), 0) AS n FROM generated_files WHERE content IS NOT NULL"
    )
    return int(row["n"]) if row else 0


# A row `o` waits while its chat has an earlier message owed by now (:now) and not yet sent:
# each chat gets its messages in order. One held for later holds up nothing before its time.
_WAITS_BEHIND_AN_EARLIER = (
    "EXISTS (SELECT 1 FROM outbox e WHERE e.chat_id = o.chat_id"
    " AND e.state IN ('pending', 'sending') AND e.id < o.id"
    " AND (e.not_before IS NULL OR e.not_before <= :now))"
)


async def claim_due(db: aiosqlite.Connection, limit: int, now: datetime) -> list[OutboxRow]:
    """Mark up to `limit` due messages as being sent and return them.

    Only the oldest owed message of each chat is taken, so a chat receives its messages in
    order; personal messages come before broadcasts. Nothing due costs one read, no write.
    """
    rows = await db.execute_fetchall(
        "UPDATE outbox SET state = 'sending', attempts = attempts + 1 WHERE id IN ("
        " SELECT id FROM outbox o WHERE o.state = 'pending' AND o.next_try_at <= :now"
        f"  AND NOT {_WAITS_BEHIND_AN_EARLIER} ORDER BY o.priority, o.id LIMIT :limit)"
        " RETURNING *, EXISTS (SELECT 1 FROM outbox e WHERE e.chat_id = outbox.chat_id"
        "  AND e.state = 'pending' AND e.id > outbox.id) AS queued_behind",
        {"now": timestamp(now), "limit": limit},
    )
    claimed = sorted(rows, key=lambda r: (r["priority"], r["id"]))  # RETURNING keeps no order
    return [_row(r) for r in claimed]


def _row(r: aiosqlite.Row) -> OutboxRow:
    return OutboxRow(
        r["id"], r["chat_id"], r["kind"], json.loads(r["payload"]), r["priority"], r["attempts"],
        r["ticket_id"], r["broadcast_id"], bool(r["queued_behind"]), moment(r["created_at"]),
        moment(r["expires_at"]), moment(r["not_before"]), r["reference"], r["generated_file"],
    )  # fmt: skip


async def mark_sent(
    db: aiosqlite.Connection, row_id: int, message_id: int | None, now: datetime
) -> None:
    """Sent; a ticket's card also tells the ticket where it is (trigger outbox_card_sent)."""
    await db.execute(
        "UPDATE outbox SET state = 'sent', sent_at = ?, message_id = ? WHERE id = ?",
        (timestamp(now), message_id, row_id),
    )


async def mark_retry(db: aiosqlite.Connection, row_id: int, next_try: datetime, error: str) -> None:
    await db.execute(
        "UPDATE outbox SET state = 'pending', next_try_at = ?, last_error = ? WHERE id = ?",
        (timestamp(next_try), error, row_id),
    )


async def withdraw(db: aiosqlite.Connection, reference: str) -> int:
    """Cancel the messages tagged `reference` or below it (`session:12` takes
    `session:12:reminder` along) that have not gone out: still pending, not being sent. Returns
    how many."""
    below = (reference + SEPARATOR, reference + chr(ord(SEPARATOR) + 1))  # 'a:' < 'a:…' < 'a;'
    cursor = await db.execute(
        "UPDATE outbox SET state = 'cancelled' WHERE state = 'pending'"
        " AND (reference = ? OR (reference > ? AND reference < ?))",
        (reference, *below),
    )
    return cursor.rowcount


async def requeue_in_flight(db: aiosqlite.Connection) -> int:
    """After a crash: messages that were being sent go out again (at least once)."""
    cursor = await db.execute("UPDATE outbox SET state = 'pending' WHERE state = 'sending'")
    return cursor.rowcount


async def next_due(db: aiosqlite.Connection, now: datetime) -> datetime | None:
    """When `claim_due` may next find something, as far as time goes: the earliest try of a
    message not waiting behind another of its chat (that one's end wakes the worker)."""
    row = await fetch_one(
        db,
        "SELECT o.next_try_at AS t FROM outbox o WHERE o.state = 'pending'"
        f" AND NOT {_WAITS_BEHIND_AN_EARLIER} ORDER BY o.next_try_at LIMIT 1",
        {"now": timestamp(now)},
    )
    return moment(row["t"]) if row else None
