"""The one place with SQL: an aiosqlite database with numbered migrations.

One connection, used by one task at a time (an asyncio lock), so that a transaction of one
handler never takes in the statements of another. Timestamps are stored as UTC ISO-8601 text.
Every method returns plain values or dataclasses; nothing here knows about Telegram.
"""

import asyncio
import json
import logging
import secrets
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiosqlite

from bot.access import Role
from bot.jalali import utc_now
from bot.outbox import PRIORITY_BROADCAST as PRIORITY_BROADCAST
from bot.outbox import PRIORITY_PERSONAL as PRIORITY_PERSONAL
from bot.outbox import OutboxRow, Outgoing, StoredFile
from bot.repositories import agency_links, outbox
from bot.repositories import moment as _dt_or_none
from bot.repositories import staff as staff_roles
from bot.repositories import timestamp as _ts
from bot.repositories.agency_links import AgencyLink
from bot.repositories.staff import StaffRole

_LOGGER = logging.getLogger(__name__)

Clock = Callable[[], datetime]

MIGRATIONS: tuple[str, ...] = (
    # 1: residents, staff roles, conversation persistence, audit log
    """
    CREATE TABLE residents (
        user_id INTEGER PRIMARY KEY,
        first_name TEXT NOT NULL DEFAULT '',
        neighborhood TEXT NOT NULL,
        phone TEXT,
        announcements INTEGER NOT NULL DEFAULT 1,
        active INTEGER NOT NULL DEFAULT 1,
        muted INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX residents_by_neighborhood ON residents (neighborhood, active);
    CREATE TABLE staff_roles (
        user_id INTEGER NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('facilitator', 'agency')),
        scope TEXT NOT NULL,
        granted_by INTEGER,
        created_at TEXT NOT NULL,
        PRIMARY KEY (user_id, role, scope)
    );
    CREATE INDEX staff_roles_by_scope ON staff_roles (role, scope);
    CREATE TABLE persistence (
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        data TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (kind, key)
    );
    CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor INTEGER,
        action TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT ''
    );
    """,
    # 2: problem reports (tickets), their events, media, supporters; the outbox
    """
    CREATE TABLE tickets (
        id INTEGER PRIMARY KEY,
        code TEXT NOT NULL UNIQUE,
        resident_id INTEGER NOT NULL REFERENCES residents (user_id),
        category TEXT NOT NULL,
        neighborhood TEXT NOT NULL,
        agency TEXT NOT NULL,
        status TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        voice_file_id TEXT,
        latitude REAL,
        longitude REAL,
        address TEXT NOT NULL DEFAULT '',
        share_contact INTEGER NOT NULL DEFAULT 0,
        hidden_text INTEGER NOT NULL DEFAULT 0,
        hidden_media INTEGER NOT NULL DEFAULT 0,
        supporters INTEGER NOT NULL DEFAULT 0,
        rating INTEGER,
        card_chat_id INTEGER,
        card_message_id INTEGER,
        last_actor TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        routed_at TEXT,
        acknowledged_at TEXT,
        resolved_at TEXT,
        ack_reminded_at TEXT,
        resolve_reminded_at TEXT
    );
    CREATE INDEX tickets_by_resident ON tickets (resident_id, id);
    CREATE INDEX tickets_by_status ON tickets (neighborhood, status, id);
    CREATE INDEX tickets_by_category ON tickets (category, neighborhood, status, created_at);
    CREATE INDEX tickets_by_agency ON tickets (agency, status, routed_at);
    CREATE TABLE ticket_media (
        id INTEGER PRIMARY KEY,
        ticket_id INTEGER NOT NULL REFERENCES tickets (id),
        kind TEXT NOT NULL CHECK (kind IN ('photo', 'video')),
        file_id TEXT NOT NULL
    );
    CREATE INDEX ticket_media_by_ticket ON ticket_media (ticket_id);
    CREATE TABLE ticket_events (
        id INTEGER PRIMARY KEY,
        ticket_id INTEGER NOT NULL REFERENCES tickets (id),
        at TEXT NOT NULL,
        actor_id INTEGER,
        actor_name TEXT NOT NULL DEFAULT '',
        actor_role TEXT NOT NULL,
        kind TEXT NOT NULL,
        status TEXT,
        body TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX ticket_events_by_ticket ON ticket_events (ticket_id, id);
    CREATE TABLE ticket_supporters (
        ticket_id INTEGER NOT NULL REFERENCES tickets (id),
        user_id INTEGER NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (ticket_id, user_id)
    );
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        chat_id INTEGER NOT NULL,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        priority INTEGER NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        next_try_at TEXT NOT NULL,
        created_at TEXT NOT NULL,
        sent_at TEXT,
        message_id INTEGER,
        last_error TEXT NOT NULL DEFAULT '',
        ticket_id INTEGER,
        broadcast_id INTEGER
    );
    CREATE INDEX outbox_due ON outbox (state, priority, id) WHERE state IN ('pending', 'sending');
    CREATE INDEX outbox_by_chat ON outbox (chat_id, state, id);
    CREATE INDEX outbox_by_message ON outbox (chat_id, message_id) WHERE message_id IS NOT NULL;
    """,
    # 3: announcements (their recipients are outbox rows with the broadcast's id)
    """
    CREATE TABLE broadcasts (
        id INTEGER PRIMARY KEY,
        author_id INTEGER NOT NULL,
        audience TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('message', 'photo', 'document')),
        text TEXT NOT NULL DEFAULT '',
        file_id TEXT,
        state TEXT NOT NULL,
        scheduled_at TEXT,
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT,
        total INTEGER NOT NULL DEFAULT 0,
        progress_chat_id INTEGER,
        progress_message_id INTEGER
    );
    CREATE INDEX broadcasts_by_state ON broadcasts (state, scheduled_at);
    CREATE INDEX outbox_by_broadcast ON outbox (broadcast_id, state) WHERE broadcast_id IS NOT NULL;
    CREATE INDEX residents_audience ON residents (active, announcements, neighborhood);
    """,
    # 4: a ticket's card, once sent, tells the ticket where it is, in the same statement
    """
    CREATE TRIGGER outbox_card_sent AFTER UPDATE OF message_id ON outbox
    WHEN NEW.message_id IS NOT NULL AND NEW.ticket_id IS NOT NULL
     AND json_extract(NEW.payload, '$.card')
    BEGIN
        UPDATE tickets SET card_chat_id = NEW.chat_id, card_message_id = NEW.message_id
        WHERE id = NEW.ticket_id;
    END
    """,
    # 5: a finished broadcast's counts by state, kept when its copies leave the outbox
    """
    ALTER TABLE broadcasts ADD COLUMN pruned_counts TEXT NOT NULL DEFAULT '{}';
    """,
    # 6: agencies' chats as linked from Telegram, winning over the catalog's chat_id
    agency_links.SCHEMA,
    # 7: how long an owed message is worth trying (NULL: the default for personal messages)
    """
    ALTER TABLE outbox ADD COLUMN expires_at TEXT;
    """,
    # 8: staff roles checked in Python, not by the table (a new role needs no rebuild)
    staff_roles.WITHOUT_ROLE_CHECK,
    # 9: a message held until its time (reminders)
    outbox.NOT_BEFORE,
    # 10: whose a message is, for withdrawing it (a cancelled session's reminders)
    outbox.REFERENCE,
    # 11: files the bot generated, sent by upload once, then by Telegram's file id
    outbox.UPLOADS,
)


@dataclass(frozen=True, slots=True)
class Resident:
    user_id: int
    first_name: str
    neighborhood: str
    phone: str | None
    announcements: bool
    active: bool
    muted: bool
    created_at: datetime


FACILITATOR = Role.FACILITATOR  # kept for the SQL that hands tickets back to the facilitators


@dataclass(frozen=True, slots=True)
class Ticket:
    id: int
    code: str
    resident_id: int
    category: str
    neighborhood: str
    agency: str
    status: str
    description: str
    voice_file_id: str | None
    latitude: float | None
    longitude: float | None
    address: str
    share_contact: bool
    hidden_text: bool
    hidden_media: bool
    supporters: int
    rating: int | None
    card_chat_id: int | None
    card_message_id: int | None
    last_actor: str
    created_at: datetime
    updated_at: datetime
    routed_at: datetime | None
    acknowledged_at: datetime | None
    resolved_at: datetime | None


@dataclass(frozen=True, slots=True)
class Media:
    kind: str  # 'photo' or 'video'
    file_id: str


@dataclass(frozen=True, slots=True)
class TicketEvent:
    at: datetime
    actor_id: int | None
    actor_name: str
    actor_role: str  # resident, agency, facilitator, system
    # created, status, reply, info, supporter, reassign, rating, note, reminder, edited;
    # unreachable: back to the facilitators' queue, its agency's chat could not be reached
    kind: str
    status: str | None
    body: str


@dataclass(frozen=True, slots=True)
class NewTicket:
    resident_id: int
    category: str
    neighborhood: str
    agency: str
    status: str
    description: str
    voice_file_id: str | None
    latitude: float | None
    longitude: float | None
    address: str
    share_contact: bool
    media: tuple[Media, ...]


@dataclass(frozen=True, slots=True)
class Actor:
    id: int | None
    name: str
    role: str  # resident, agency, facilitator, system


@dataclass(frozen=True, slots=True)
class Broadcast:
    id: int
    author_id: int
    audience: dict[str, Any]  # {"neighborhoods": [...] or None for all, "agencies": bool}
    kind: str  # message, photo or document
    text: str
    file_id: str | None
    state: str  # scheduled, sending, done, cancelled
    scheduled_at: datetime | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    total: int
    progress_chat_id: int | None
    progress_message_id: int | None


def _broadcast(row: aiosqlite.Row) -> Broadcast:
    return Broadcast(
        id=row["id"],
        author_id=row["author_id"],
        audience=json.loads(row["audience"]),
        kind=row["kind"],
        text=row["text"],
        file_id=row["file_id"],
        state=row["state"],
        scheduled_at=_dt_or_none(row["scheduled_at"]),
        created_at=_dt(row["created_at"]),
        started_at=_dt_or_none(row["started_at"]),
        finished_at=_dt_or_none(row["finished_at"]),
        total=row["total"],
        progress_chat_id=row["progress_chat_id"],
        progress_message_id=row["progress_message_id"],
    )


# Builds what a change owes people, from the ticket as it is after the change and the ids of
# everyone following it (owner first, then supporters). Called inside the transaction.
Notify = Callable[[Ticket, list[int]], list[Outgoing]]


class StorageUnavailable(Exception):
    """A write the database could not make (disk full, I/O error, locked too long): nothing of
    it was stored. Trying again later may work."""


# What the database raises when it cannot do what it is asked (as opposed to a bug).
STORAGE_ERRORS = (StorageUnavailable, sqlite3.Error)


# Builds what handing a ticket back to the facilitators owes people, from the ticket after the
# change, its followers, the resident who reported it, its media and the neighborhood's
# facilitators. Called inside the transaction.
HandbackNotify = Callable[[Ticket, list[int], Resident | None, list[Media], list[int]],
                          list[Outgoing]]  # fmt: skip


@dataclass(frozen=True, slots=True)
class Handback:
    """Tickets to hand back to the facilitators when what was owed to an agency's chat is given
    up: those still waiting for one of `agencies` (not yet acknowledged there) go to the queue,
    owing what `notify` builds."""

    agencies: tuple[str, ...]
    notify: HandbackNotify


def _statements(script: str) -> list[str]:
    """A migration's statements, one by one (a trigger's body holds semicolons of its own)."""
    statements, pending = [], ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                statements.append(pending)
            pending = ""
    return statements


def _dt(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _ticket(row: aiosqlite.Row) -> Ticket:
    return Ticket(
        **{name: row[name] for name in _TICKET_PLAIN},
        share_contact=bool(row["share_contact"]),
        hidden_text=bool(row["hidden_text"]),
        hidden_media=bool(row["hidden_media"]),
        created_at=_dt(row["created_at"]),
        updated_at=_dt(row["updated_at"]),
        routed_at=_dt_or_none(row["routed_at"]),
        acknowledged_at=_dt_or_none(row["acknowledged_at"]),
        resolved_at=_dt_or_none(row["resolved_at"]),
    )


_TICKET_PLAIN = (
    "id", "code", "resident_id", "category", "neighborhood", "agency", "status", "description",
    "voice_file_id", "latitude", "longitude", "address", "supporters", "rating", "card_chat_id",
    "card_message_id", "last_actor",
)  # fmt: skip
# Columns a ticket update may set (besides status, which has its own timestamps).
_TICKET_UPDATABLE = frozenset(
    ("agency", "description", "hidden_text", "hidden_media", "rating", "card_message_id")
)
OPEN_STATUSES = ("review", "queued", "new", "acknowledged", "in_progress", "reopened")


def _resident(row: aiosqlite.Row) -> Resident:
    return Resident(
        user_id=row["user_id"],
        first_name=row["first_name"],
        neighborhood=row["neighborhood"],
        phone=row["phone"],
        announcements=bool(row["announcements"]),
        active=bool(row["active"]),
        muted=bool(row["muted"]),
        created_at=_dt(row["created_at"]),
    )


@dataclass(frozen=True, slots=True)
class KeyUse:
    """`count` rows of `what` hold catalog key `key` of `section`."""

    section: str
    key: str
    what: str
    count: int


_DRAFT_CATEGORY = "$.report.category"  # a report draft in a person's persisted user_data
_RENAMES: dict[str, tuple[str, ...]] = {
    "neighborhoods": (
        "UPDATE tickets SET neighborhood = :new WHERE neighborhood = :old",
        "UPDATE residents SET neighborhood = :new WHERE neighborhood = :old",
        *staff_roles.scope_renames(Role.FACILITATOR),
    ),
    "agencies": (
        "UPDATE tickets SET agency = :new WHERE agency = :old",
        *staff_roles.scope_renames(Role.AGENCY),
        "UPDATE OR IGNORE agency_links SET agency = :new WHERE agency = :old",
        "DELETE FROM agency_links WHERE agency = :old",
    ),
    "categories": (
        "UPDATE tickets SET category = :new WHERE category = :old",
        f"UPDATE persistence SET data = json_set(data, '{_DRAFT_CATEGORY}', :new)"
        f" WHERE kind = 'user_data' AND json_extract(data, '{_DRAFT_CATEGORY}') = :old",
    ),
}


class Storage:
    def __init__(self, path: Path | str, clock: Clock = utc_now) -> None:
        self.path = path
        self.clock = clock
        self._db: aiosqlite.Connection = None  # type: ignore[assignment]  # set by connect()
        self._lock = asyncio.Lock()
        # Called whenever messages are owed; the delivery worker sets it to wake itself up.
        self.on_enqueue: Callable[[], None] = lambda: None

    async def connect(self, *, read_only: bool = False) -> None:
        """Open (creating folder and file) and bring the schema up to date; or, `read_only`,
        open an existing file and change nothing in it (beside a running bot)."""
        if str(self.path) != ":memory:" and not read_only:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._db = await aiosqlite.connect(self.path, isolation_level=None)
        self._db.row_factory = aiosqlite.Row
        if read_only:
            await self._db.execute("PRAGMA query_only = ON")
            return
        for pragma in (
            "journal_mode = WAL",
            "foreign_keys = ON",
            "busy_timeout = 5000",
            "synchronous = NORMAL",
        ):
            await self._db.execute(f"PRAGMA {pragma}")
        await self._migrate()

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None  # type: ignore[assignment]

    def now(self) -> datetime:
        return self.clock()

    # ------------------------------------------------------------------ plumbing

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """All or nothing. A write the database refuses (disk full …) raises
        `StorageUnavailable` and leaves nothing half done, not even an open transaction."""
        async with self._lock:
            try:
                await self._db.execute("BEGIN IMMEDIATE")
                try:
                    yield self._db
                    await self._db.execute("COMMIT")
                except BaseException:
                    if self._db.in_transaction:  # SQLite may have rolled back already
                        with suppress(sqlite3.Error):
                            await self._db.execute("ROLLBACK")
                    raise
            except sqlite3.OperationalError as exc:
                raise StorageUnavailable(str(exc)) from exc

    async def _fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[aiosqlite.Row]:
        async with self._lock:  # one trip to the database thread, not three
            return list(await self._db.execute_fetchall(sql, tuple(params)))

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[aiosqlite.Connection]:
        """The connection for statements each atomic on its own (autocommit), as a repository
        function makes them; a write the database refuses raises `StorageUnavailable`."""
        async with self._lock:
            try:
                yield self._db
            except sqlite3.OperationalError as exc:
                raise StorageUnavailable(str(exc)) from exc

    async def _write(self, sql: str, params: Iterable[Any] = ()) -> list[aiosqlite.Row]:
        """One statement, atomic on its own (autocommit), in one trip; rows it RETURNs."""
        async with self._connection() as db:
            return list(await db.execute_fetchall(sql, tuple(params)))

    async def _tickets(self, sql: str, params: Iterable[Any] = ()) -> list[Ticket]:
        return [_ticket(row) for row in await self._fetchall(sql, params)]

    async def _fetchone(self, sql: str, params: Iterable[Any] = ()) -> aiosqlite.Row | None:
        rows = await self._fetchall(sql, params)
        return rows[0] if rows else None

    async def _migrate(self) -> None:
        await self._db.execute(
            "CREATE TABLE IF NOT EXISTS schema_version ("
            " version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
        )
        row = await self._fetchone("SELECT COALESCE(MAX(version), 0) AS v FROM schema_version")
        current = row["v"] if row else 0
        for version, script in enumerate(MIGRATIONS, start=1):
            if version <= current:
                continue
            async with self._transaction() as db:
                for statement in _statements(script):
                    await db.execute(statement)
                await db.execute(
                    "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                    (version, _ts(self.now())),
                )
            _LOGGER.info("Database schema migrated to version %d", version)

    async def schema_version(self) -> int:
        row = await self._fetchone("SELECT MAX(version) AS v FROM schema_version")
        return int(row["v"]) if row and row["v"] is not None else 0

    async def pending_migrations(self) -> int:
        """Migrations this code would apply at the next (writable) start."""
        return len(MIGRATIONS) - await self.schema_version()

    # ------------------------------------------------------------------ residents

    async def get_resident(self, user_id: int) -> Resident | None:
        row = await self._fetchone("SELECT * FROM residents WHERE user_id = ?", (user_id,))
        return _resident(row) if row else None

    async def count_residents(self) -> int:
        row = await self._fetchone("SELECT COUNT(*) AS n FROM residents")
        return int(row["n"]) if row else 0

    async def save_resident(
        self, user_id: int, first_name: str, neighborhood: str, phone: str | None
    ) -> Resident:
        """Create the resident, or update the one that exists (never a second row)."""
        now = _ts(self.now())
        rows = await self._write(
            "INSERT INTO residents (user_id, first_name, neighborhood, phone, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET first_name = excluded.first_name,"
            " neighborhood = excluded.neighborhood,"
            " phone = COALESCE(excluded.phone, residents.phone),"
            " active = 1, updated_at = excluded.updated_at RETURNING *",
            (user_id, first_name, neighborhood, phone, now, now),
        )
        return _resident(rows[0])

    async def set_neighborhood(self, user_id: int, neighborhood: str) -> Resident | None:
        return await self._update_resident(user_id, "neighborhood", neighborhood)

    async def set_phone(self, user_id: int, phone: str | None) -> Resident | None:
        return await self._update_resident(user_id, "phone", phone)

    async def set_announcements(self, user_id: int, wanted: bool) -> Resident | None:
        return await self._update_resident(user_id, "announcements", int(wanted))

    async def set_muted(self, user_id: int, muted: bool) -> Resident | None:
        return await self._update_resident(user_id, "muted", int(muted))

    async def set_active(self, user_id: int, active: bool) -> Resident | None:
        return await self._update_resident(user_id, "active", int(active))

    async def _update_resident(self, user_id: int, column: str, value: Any) -> Resident | None:
        assert column in {"neighborhood", "phone", "active", "announcements", "muted"}
        rows = await self._write(
            f"UPDATE residents SET {column} = ?, updated_at = ? WHERE user_id = ? RETURNING *",
            (value, _ts(self.now()), user_id),
        )
        return _resident(rows[0]) if rows else None

    # ------------------------------------------------------------------ staff roles

    async def grant_role(self, user_id: int, role: str, scope: str, granted_by: int | None) -> None:
        """Give a role (ValueError if unknown, or the scope does not suit it); audited."""
        async with self._transaction() as db:
            await staff_roles.grant(db, user_id, role, scope, granted_by, _ts(self.now()))
            await self._audit(db, granted_by, "grant", f"{role}:{scope}:{user_id}")

    async def revoke_role(
        self, user_id: int, role: str, scope: str, revoked_by: int | None
    ) -> bool:
        async with self._transaction() as db:
            await self._audit(db, revoked_by, "revoke", f"{role}:{scope}:{user_id}")
            return await staff_roles.revoke(db, user_id, role, scope)

    async def roles_of(self, user_id: int) -> list[StaffRole]:
        async with self._lock:
            return await staff_roles.roles_of(self._db, user_id)

    async def staff(self, role: str | None = None, scope: str | None = None) -> list[StaffRole]:
        async with self._lock:
            return await staff_roles.holders(self._db, role, scope)

    async def facilitators_of(self, neighborhood: str) -> list[int]:
        return [role.user_id for role in await self.staff(Role.FACILITATOR, neighborhood)]

    async def has_role(self, user_id: int, role: str, scope: str) -> bool:
        return StaffRole(user_id, Role(role), scope) in await self.roles_of(user_id)

    async def _audit(self, db: aiosqlite.Connection, actor: int | None, action: str, detail: str):
        await db.execute(
            "INSERT INTO audit_log (at, actor, action, detail) VALUES (?, ?, ?, ?)",
            (_ts(self.now()), actor, action, detail),
        )

    # ------------------------------------------------------------------ persistence

    async def load_state(self, kind: str) -> dict[str, Any]:
        """All stored values of one kind ('user_data', 'conversation:<name>', …) by key."""
        rows = await self._fetchall("SELECT key, data FROM persistence WHERE kind = ?", (kind,))
        return {row["key"]: json.loads(row["data"]) for row in rows}

    async def save_states(self, values: dict[tuple[str, str], Any]) -> None:
        """Store values by (kind, key); None deletes one. At most two statements, however many
        values: the rows travel as one JSON array."""
        stored = [
            [*k, json.dumps(v, ensure_ascii=False)] for k, v in values.items() if v is not None
        ]
        deleted = [list(k) for k, v in values.items() if v is None]
        if stored:
            await self._write(
                "INSERT INTO persistence (kind, key, data, updated_at)"
                " SELECT value ->> 0, value ->> 1, value ->> 2, ? FROM json_each(?) WHERE true"
                " ON CONFLICT (kind, key) DO UPDATE SET data = excluded.data,"
                " updated_at = excluded.updated_at",
                (_ts(self.now()), json.dumps(stored, ensure_ascii=False)),
            )
        if deleted:
            await self._write(
                "DELETE FROM persistence WHERE (kind, key) IN"
                " (SELECT value ->> 0, value ->> 1 FROM json_each(?))",
                (json.dumps(deleted, ensure_ascii=False),),
            )

    async def purge_state(self, kind_prefix: str, idle: timedelta) -> int:
        """Delete values of kinds starting with `kind_prefix` untouched for longer than `idle`."""
        async with self._transaction() as db:
            cursor = await db.execute(
                "DELETE FROM persistence WHERE substr(kind, 1, ?) = ? AND updated_at < ?",
                (len(kind_prefix), kind_prefix, _ts(self.now() - idle)),
            )
            return cursor.rowcount

    # ------------------------------------------------------------------ tickets

    async def create_ticket(self, new: NewTicket, notify: Notify, actor: Actor) -> Ticket:
        """Store a ticket, its media and first event, and what it owes people, in one go."""
        now = _ts(self.now())
        routed = now if new.status == "new" else None
        values = (
            new.resident_id, new.category, new.neighborhood, new.agency, new.status,
            new.description, new.voice_file_id, new.latitude, new.longitude, new.address,
            int(new.share_contact), now, now, routed,
        )  # fmt: skip
        async with self._transaction() as db:
            for attempt in range(20):  # a random code; another on the rare collision
                code = f"{secrets.randbelow(900000) + 100000}"
                try:
                    (row,) = await db.execute_fetchall(
                        "INSERT INTO tickets (code, resident_id, category, neighborhood, agency,"
                        " status, description, voice_file_id, latitude, longitude, address,"
                        " share_contact, created_at, updated_at, routed_at)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
                        (code, *values),
                    )
                    break
                except sqlite3.IntegrityError:
                    if attempt == 19:
                        raise
            ticket = _ticket(row)
            if new.media:
                await db.executemany(
                    "INSERT INTO ticket_media (ticket_id, kind, file_id) VALUES (?, ?, ?)",
                    [(ticket.id, m.kind, m.file_id) for m in new.media],
                )
            await self._event(db, ticket.id, actor, "created", new.status, "")
            await self._enqueue(db, notify(ticket, [ticket.resident_id]))  # no supporters yet
            return ticket

    async def update_ticket(
        self,
        ticket_id: int,
        actor: Actor,
        event: str,
        notify: Notify,
        *,
        status: str | None = None,
        body: str = "",
        expect_status: tuple[str, ...] | None = None,
        **fields: Any,
    ) -> Ticket | None:
        """Apply one change (a status, a reply, a reassignment …) with its event and notices.

        With `expect_status`, nothing happens (None is returned) unless the ticket is in one of
        those statuses when the transaction starts: two clerks pressing at once act only once.
        """
        assert set(fields) <= _TICKET_UPDATABLE, fields
        now = _ts(self.now())
        async with self._transaction() as db:
            # The card names the staff member who acted last; a resident's own action (reopening,
            # adding information) names nobody: agencies see residents only if they agreed.
            staff_name = actor.name if actor.role in ("agency", "facilitator") else ""
            sets = {**fields, "updated_at": now, "last_actor": staff_name}
            if status is not None:
                sets["status"] = status
                stamp = {
                    "new": "routed_at",
                    "reopened": "routed_at",  # the agency's deadlines start again
                    "acknowledged": "acknowledged_at",
                    "resolved": "resolved_at",
                }.get(status)
                if stamp:
                    sets[stamp] = now
                if status in ("new", "reopened"):  # a fresh start for the SLA reminders
                    sets["ack_reminded_at"] = None
                    sets["resolve_reminded_at"] = None
            assignments = ", ".join(f"{column} = ?" for column in sets)
            expected = tuple(expect_status or ())
            only_if = f" AND status IN ({', '.join('?' for _ in expected)})" if expected else ""
            cursor = await db.execute(
                f"UPDATE tickets SET {assignments} WHERE id = ?{only_if}",
                (*sets.values(), ticket_id, *expected),
            )
            if cursor.rowcount == 0:  # no such ticket, or someone moved it first
                return None
            await self._event(db, ticket_id, actor, event, status, body)
            return await self._after_change(db, ticket_id, notify)

    async def add_supporter(self, ticket_id: int, user_id: int, notify: Notify) -> Ticket | None:
        """'Me too': count a resident behind a ticket (once). None if they already were."""
        async with self._transaction() as db:
            cursor = await db.execute(
                "INSERT OR IGNORE INTO ticket_supporters (ticket_id, user_id, at) VALUES (?, ?, ?)",
                (ticket_id, user_id, _ts(self.now())),
            )
            if cursor.rowcount == 0:
                return None
            await db.execute(
                "UPDATE tickets SET supporters = supporters + 1 WHERE id = ?", (ticket_id,)
            )
            await self._event(db, ticket_id, Actor(user_id, "", "resident"), "supporter", None, "")
            return await self._after_change(db, ticket_id, notify)

    async def _event(
        self,
        db: aiosqlite.Connection,
        ticket_id: int,
        actor: Actor,
        kind: str,
        status: str | None,
        body: str,
    ) -> None:
        await db.execute(
            "INSERT INTO ticket_events (ticket_id, at, actor_id, actor_name, actor_role, kind,"
            " status, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (ticket_id, _ts(self.now()), actor.id, actor.name, actor.role, kind, status, body),
        )

    async def _after_change(
        self, db: aiosqlite.Connection, ticket_id: int, notify: Notify
    ) -> Ticket:
        (row,) = await db.execute_fetchall(
            "SELECT *, (SELECT group_concat(user_id) FROM ticket_supporters"
            " WHERE ticket_id = tickets.id) AS supporter_ids FROM tickets WHERE id = ?",
            (ticket_id,),
        )
        ticket = _ticket(row)
        supporters = [int(u) for u in (row["supporter_ids"] or "").split(",") if u]
        followers = [ticket.resident_id, *supporters]
        await self._enqueue(db, notify(ticket, followers))
        return ticket

    async def get_ticket(self, ticket_id: int) -> Ticket | None:
        row = await self._fetchone("SELECT * FROM tickets WHERE id = ?", (ticket_id,))
        return _ticket(row) if row else None

    async def get_ticket_by_code(self, code: str) -> Ticket | None:
        row = await self._fetchone("SELECT * FROM tickets WHERE code = ?", (code,))
        return _ticket(row) if row else None

    async def ticket_media(self, ticket_id: int) -> list[Media]:
        rows = await self._fetchall(
            "SELECT kind, file_id FROM ticket_media WHERE ticket_id = ? ORDER BY id", (ticket_id,)
        )
        return [Media(row["kind"], row["file_id"]) for row in rows]

    async def ticket_events(self, ticket_id: int) -> list[TicketEvent]:
        rows = await self._fetchall(
            "SELECT * FROM ticket_events WHERE ticket_id = ? ORDER BY id", (ticket_id,)
        )
        return [
            TicketEvent(
                _dt(r["at"]),
                r["actor_id"],
                r["actor_name"],
                r["actor_role"],
                r["kind"],
                r["status"],
                r["body"],
            )
            for r in rows
        ]

    async def tickets_of_resident(self, user_id: int, limit: int, offset: int) -> list[Ticket]:
        """Newest first: the resident's own tickets and those they joined ('me too')."""
        return await self._tickets(
            "SELECT * FROM tickets WHERE id IN ("
            " SELECT id FROM tickets WHERE resident_id = ?1"
            " UNION SELECT ticket_id FROM ticket_supporters WHERE user_id = ?1)"
            " ORDER BY id DESC LIMIT ?2 OFFSET ?3",
            (user_id, limit, offset),
        )

    async def count_tickets_of_resident(self, user_id: int) -> int:
        row = await self._fetchone(
            "SELECT (SELECT COUNT(*) FROM tickets WHERE resident_id = ?1)"
            " + (SELECT COUNT(*) FROM ticket_supporters WHERE user_id = ?1) AS n",
            (user_id,),
        )
        return int(row["n"]) if row else 0

    async def resident_and_reports_since(
        self, user_id: int, since: datetime
    ) -> tuple[Resident | None, int]:
        """The resident and how many reports they filed since `since`, in one query."""
        row = await self._fetchone(
            "SELECT *, (SELECT COUNT(*) FROM tickets WHERE resident_id = ?1"
            " AND created_at >= ?2) AS reports FROM residents WHERE user_id = ?1",
            (user_id, _ts(since)),
        )
        return (_resident(row), int(row["reports"])) if row else (None, 0)

    async def count_events(
        self, ticket_id: int, actor_id: int, kind: str, *, since: datetime
    ) -> int:
        row = await self._fetchone(
            "SELECT COUNT(*) AS n FROM ticket_events WHERE ticket_id = ? AND actor_id = ?"
            " AND kind = ? AND at > ?",
            (ticket_id, actor_id, kind, _ts(since)),
        )
        return int(row["n"]) if row else 0

    async def is_follower(self, ticket_id: int, user_id: int) -> bool:
        row = await self._fetchone(
            "SELECT 1 FROM tickets WHERE id = ?1 AND resident_id = ?2"
            " UNION SELECT 1 FROM ticket_supporters WHERE ticket_id = ?1 AND user_id = ?2",
            (ticket_id, user_id),
        )
        return row is not None

    async def similar_open_tickets(
        self,
        category: str,
        neighborhood: str,
        since: datetime,
        exclude_resident: int,
        box: tuple[float, float, float, float] | None,
        limit: int = 10,
    ) -> list[Ticket]:
        """Open tickets of the same category and neighborhood since `since`, newest first;
        with `box` (min/max latitude, min/max longitude), only those without a location or
        inside it."""
        min_lat, max_lat, min_lon, max_lon = box or (None, None, None, None)
        return await self._tickets(
            "SELECT * FROM tickets WHERE category = ? AND neighborhood = ?"
            " AND status IN (SELECT value FROM json_each(?)) AND created_at >= ?"
            " AND resident_id != ? AND (? IS NULL OR latitude IS NULL"
            "  OR (latitude BETWEEN ? AND ? AND longitude BETWEEN ? AND ?))"
            " ORDER BY id DESC LIMIT ?",
            (category, neighborhood, json.dumps(OPEN_STATUSES), _ts(since), exclude_resident,
             min_lat, min_lat, max_lat, min_lon, max_lon, limit),
        )  # fmt: skip

    async def queue(self, neighborhoods: Iterable[str], limit: int, offset: int) -> list[Ticket]:
        """The facilitators' queue: tickets waiting for review or with no agency, oldest first."""
        keys = list(neighborhoods)
        if not keys:
            return []
        placeholders = ", ".join("?" for _ in keys)
        return await self._tickets(
            f"SELECT * FROM tickets WHERE neighborhood IN ({placeholders})"
            " AND status IN ('review', 'queued') ORDER BY id LIMIT ? OFFSET ?",
            (*keys, limit, offset),
        )

    async def tickets_waiting_for(self, agency: str) -> list[Ticket]:
        """Tickets at `agency` not yet acknowledged there, except those whose card is still
        owed (it goes out anyway)."""
        return await self._tickets(
            "SELECT * FROM tickets WHERE agency = ? AND status IN ('new', 'reopened')"
            " AND NOT EXISTS (SELECT 1 FROM outbox WHERE outbox.ticket_id = tickets.id"
            "  AND state IN ('pending', 'sending') AND json_extract(payload, '$.card'))"
            " ORDER BY id",
            (agency,),
        )

    async def tickets_handed_back(self, agency: str) -> list[Ticket]:
        """Queued tickets of `agency` that went to the facilitators only because its chat could
        not be reached, and that nobody has moved since."""
        return await self._tickets(
            "SELECT * FROM tickets WHERE agency = ? AND status = 'queued'"
            " AND (SELECT kind FROM ticket_events WHERE ticket_id = tickets.id"
            "  AND status IS NOT NULL ORDER BY id DESC LIMIT 1) = 'unreachable'"
            " ORDER BY id",
            (agency,),
        )

    async def tickets_with_card_in(self, chat_id: int) -> list[Ticket]:
        """Tickets still at an agency whose card was sent to `chat_id`."""
        return await self._tickets(
            "SELECT * FROM tickets WHERE card_chat_id = ?"
            " AND status IN ('new', 'acknowledged', 'in_progress', 'reopened') ORDER BY id",
            (chat_id,),
        )

    async def overdue(self, agency: str, stage: str, deadline: datetime) -> list[Ticket]:
        """Tickets of `agency` past their deadline and not yet reminded.

        stage 'ack': sent (or reopened) before `deadline` and still not acknowledged;
        stage 'resolve': sent (or reopened) before `deadline` and still open at the agency.
        A reopening sets routed_at again and clears both reminder marks (`update_ticket`).
        """
        if stage == "ack":
            condition = "status IN ('new', 'reopened') AND ack_reminded_at IS NULL"
        else:
            condition = (
                "status IN ('new', 'acknowledged', 'in_progress', 'reopened')"
                " AND resolve_reminded_at IS NULL"
            )
        return await self._tickets(
            f"SELECT * FROM tickets WHERE agency = ? AND {condition} AND routed_at < ? ORDER BY id",
            (agency, _ts(deadline)),
        )

    async def mark_reminded(self, ticket_id: int, stage: str, messages: list[Outgoing]) -> None:
        column = "ack_reminded_at" if stage == "ack" else "resolve_reminded_at"
        async with self._transaction() as db:
            await db.execute(
                f"UPDATE tickets SET {column} = ? WHERE id = ?", (_ts(self.now()), ticket_id)
            )
            await self._event(db, ticket_id, Actor(None, "", "system"), "reminder", None, stage)
            await self._enqueue(db, messages)

    # ------------------------------------------------------------------ catalog keys

    async def rename_key(self, section: str, old: str, new: str) -> int:
        """Move everything held under a catalog key (`section`: neighborhoods, agencies or
        categories) to its new name: tickets, residents, staff scopes, report drafts."""
        statements = _RENAMES[section]
        moved = 0
        async with self._transaction() as db:
            for sql in statements:
                cursor = await db.execute(sql, {"old": old, "new": new})
                moved += max(cursor.rowcount, 0)
        return moved

    async def keys_in_use(self) -> list[KeyUse]:
        """Every catalog key the bot still needs: by open tickets, residents, report drafts."""
        rows = await self._fetchall(
            "SELECT 'categories' AS section, category AS key, 'open tickets' AS what,"
            "  COUNT(*) AS n FROM tickets WHERE status IN (SELECT value FROM json_each(?1))"
            "  GROUP BY category"
            " UNION ALL SELECT 'agencies', agency, 'open tickets', COUNT(*) FROM tickets"
            "  WHERE status IN (SELECT value FROM json_each(?1)) GROUP BY agency"
            " UNION ALL SELECT 'neighborhoods', neighborhood, 'open tickets', COUNT(*) FROM tickets"
            "  WHERE status IN (SELECT value FROM json_each(?1)) GROUP BY neighborhood"
            " UNION ALL SELECT 'neighborhoods', neighborhood, 'residents', COUNT(*) FROM residents"
            "  GROUP BY neighborhood"
            " UNION ALL SELECT 'categories', json_extract(data, ?2), 'report drafts', COUNT(*)"
            "  FROM persistence WHERE kind = 'user_data' AND json_extract(data, ?2) IS NOT NULL"
            "  GROUP BY 2",
            (json.dumps(OPEN_STATUSES), _DRAFT_CATEGORY),
        )
        return [KeyUse(r["section"], r["key"], r["what"], r["n"]) for r in rows]

    # ------------------------------------------------------------------ outbox

    async def enqueue(self, messages: list[Outgoing]) -> None:
        """Owe `messages` (held until their time, tagged, uploads: see `bot.outbox`)."""
        async with self._transaction() as db:
            await self._enqueue(db, messages)

    async def _enqueue(self, db: aiosqlite.Connection, messages: list[Outgoing]) -> None:
        if not messages:
            return
        await outbox.insert(db, messages, self.now())
        self.on_enqueue()

    async def claim_due(self, limit: int) -> list[OutboxRow]:
        """Mark up to `limit` due messages as being sent and return them (see
        `repositories.outbox.claim_due`)."""
        async with self._connection() as db:
            return await outbox.claim_due(db, limit, self.now())

    async def mark_sent(self, row: OutboxRow, message_id: int | None) -> None:
        """Sent; a ticket's card also tells the ticket where it is (trigger outbox_card_sent)."""
        async with self._connection() as db:
            await outbox.mark_sent(db, row.id, message_id, self.now())

    async def mark_uploaded(self, row: OutboxRow, message_id: int | None, file_id: str) -> None:
        """Sent, by uploading its generated file: Telegram's `file_id` is kept for the next
        messages that send the file, and its bytes go."""
        assert row.generated_file is not None
        async with self._transaction() as db:
            await outbox.mark_sent(db, row.id, message_id, self.now())
            await outbox.keep_file_id(db, row.generated_file, file_id)

    async def stored_file(self, file: int) -> StoredFile | None:
        """A generated file an upload sends (`OutboxRow.generated_file`)."""
        async with self._connection() as db:
            return await outbox.stored_file(db, file)

    async def drop_unneeded_files(self) -> int:
        """Drop the bytes of generated files no message still to be sent needs; how many."""
        async with self._connection() as db:
            return await outbox.drop_unneeded_files(db)

    async def upload_bytes_held(self) -> int:
        """Bytes of generated files held for uploads still to make."""
        async with self._connection() as db:
            return await outbox.bytes_held(db)

    async def mark_retry(self, row_id: int, next_try: datetime, error: str) -> None:
        async with self._connection() as db:
            await outbox.mark_retry(db, row_id, next_try, error)

    async def give_up(
        self,
        row: OutboxRow,
        error: str,
        *,
        state: str = "failed",
        whole_chat: bool = False,
        handback: Handback | None = None,
    ) -> list[Ticket]:
        """Stop trying to send `row` (state 'failed' or 'blocked'). With `whole_chat` the chat
        is gone (blocked, deleted, the bot removed): everything it is still owed goes too, and
        a resident there becomes inactive.

        With `handback`, tickets still waiting for one of its agencies whose message was dropped
        (any, for a whole chat; else only if `row` is the ticket's card) go back to the
        facilitators' queue with their notices, in the same transaction. Returns them."""
        async with self._transaction() as db:
            where = "chat_id = ? AND state IN ('pending', 'sending')" if whole_chat else "id = ?"
            dropped = await db.execute_fetchall(
                f"UPDATE outbox SET state = ?, last_error = ? WHERE {where}"
                " RETURNING ticket_id, json_extract(payload, '$.card') AS card",
                (state, error, row.chat_id if whole_chat else row.id),
            )
            if whole_chat:
                await db.execute(
                    "UPDATE residents SET active = 0, updated_at = ? WHERE user_id = ?",
                    (_ts(self.now()), row.chat_id),
                )
            if handback is None:
                return []
            ticket_ids = sorted(
                {r["ticket_id"] for r in dropped if r["ticket_id"] and (whole_chat or r["card"])}
            )
            return [
                ticket
                for ticket_id in ticket_ids
                if (ticket := await self._hand_back(db, ticket_id, error, handback)) is not None
            ]

    async def _hand_back(
        self, db: aiosqlite.Connection, ticket_id: int, error: str, handback: Handback
    ) -> Ticket | None:
        cursor = await db.execute(
            "UPDATE tickets SET status = 'queued', updated_at = ?, last_actor = ''"
            " WHERE id = ? AND status IN ('new', 'reopened')"
            " AND agency IN (SELECT value FROM json_each(?))",
            (_ts(self.now()), ticket_id, json.dumps(handback.agencies)),
        )
        if cursor.rowcount == 0:  # acknowledged, moved on, or another agency's
            return None
        await self._event(db, ticket_id, Actor(None, "", "system"), "unreachable", "queued", error)
        (row,) = await db.execute_fetchall("SELECT * FROM tickets WHERE id = ?", (ticket_id,))
        ticket = _ticket(row)
        residents = list(
            await db.execute_fetchall(
                "SELECT * FROM residents WHERE user_id = ?", (ticket.resident_id,)
            )
        )
        media = await db.execute_fetchall(
            "SELECT kind, file_id FROM ticket_media WHERE ticket_id = ? ORDER BY id", (ticket_id,)
        )
        facilitators = await db.execute_fetchall(
            "SELECT user_id FROM staff_roles WHERE role = ? AND scope = ? ORDER BY user_id",
            (FACILITATOR, ticket.neighborhood),
        )
        supporters = await db.execute_fetchall(
            "SELECT user_id FROM ticket_supporters WHERE ticket_id = ? ORDER BY at", (ticket_id,)
        )
        await self._enqueue(
            db,
            handback.notify(
                ticket,
                [ticket.resident_id, *(r["user_id"] for r in supporters)],
                _resident(residents[0]) if residents else None,
                [Media(m["kind"], m["file_id"]) for m in media],
                [f["user_id"] for f in facilitators],
            ),
        )
        return ticket

    async def move_chat(
        self, old: int, new: int, agencies: Sequence[str], messages: list[Outgoing]
    ) -> int:
        """A group became a supergroup with a new id: what `old` is still owed goes to `new`
        (edits of its messages cannot follow, they are dropped; replies lose what they answered),
        tickets forget their cards there, `agencies` are linked to `new`, and `messages` (cards
        offered again) are owed, all at once. Returns how many messages moved."""
        now = _ts(self.now())
        async with self._transaction() as db:
            await db.execute(
                "UPDATE outbox SET state = 'failed', last_error = ?"
                " WHERE chat_id = ? AND state IN ('pending', 'sending') AND kind = 'edit'",
                (f"chat moved to {new}", old),
            )
            cursor = await db.execute(
                "UPDATE outbox SET chat_id = :new, state = 'pending',"
                " next_try_at = CASE WHEN not_before > :now THEN not_before ELSE :now END,"
                " payload = json_remove(payload, '$.reply_to')"
                " WHERE chat_id = :old AND state IN ('pending', 'sending')",
                {"new": new, "now": now, "old": old},
            )
            moved = cursor.rowcount
            await db.execute(
                "UPDATE tickets SET card_chat_id = ?, card_message_id = NULL"
                " WHERE card_chat_id = ?",
                (new, old),
            )
            await agency_links.link(db, agencies, new, now, None, f"chat {old} became {new}")
            await self._enqueue(db, messages)
        if moved:
            self.on_enqueue()
        return moved

    async def withdraw(self, reference: str) -> int:
        """Withdraw the messages tagged `reference` or below it (`session:12` takes
        `session:12:reminder` along) that have not gone out yet: only those still pending (one
        being sent is let go). Returns how many; nothing else is touched (but the bytes of a
        file only these were to upload)."""
        async with self._transaction() as db:
            withdrawn = await outbox.withdraw(db, reference)
            await outbox.drop_unneeded_files(db)
            return withdrawn

    async def requeue_in_flight(self) -> int:
        """After a crash: messages that were being sent go out again (at least once)."""
        async with self._transaction() as db:
            return await outbox.requeue_in_flight(db)

    async def next_due(self) -> datetime | None:
        async with self._connection() as db:
            return await outbox.next_due(db, self.now())

    async def outbox_counts(self, broadcast_id: int | None = None) -> dict[str, int]:
        """Messages by state: all, or one broadcast's copies (with those already pruned)."""
        rows = await self._fetchall(
            "SELECT state, SUM(n) AS n FROM ("
            " SELECT state, COUNT(*) AS n FROM outbox WHERE ?1 IS NULL OR broadcast_id = ?1"
            " GROUP BY state"
            " UNION ALL SELECT key, value FROM broadcasts, json_each(pruned_counts)"
            " WHERE broadcasts.id = ?1"
            ") GROUP BY state",
            (broadcast_id,),
        )
        return {row["state"]: row["n"] for row in rows}

    async def prune_broadcast_copies(self, finished_before: datetime) -> int:
        """Remove from the outbox the copies of broadcasts finished before `finished_before`,
        adding their counts by state to the broadcast. Returns how many copies went."""
        finished = await self._fetchall(
            "SELECT id FROM broadcasts WHERE state IN ('done', 'cancelled') AND finished_at < ?"
            " AND EXISTS (SELECT 1 FROM outbox WHERE broadcast_id = broadcasts.id)",
            (_ts(finished_before),),
        )
        removed = 0
        for broadcast in finished:
            async with self._transaction() as db:
                copies = "broadcast_id = ? AND state NOT IN ('pending', 'sending')"
                (row,) = await db.execute_fetchall(
                    "SELECT pruned_counts FROM broadcasts WHERE id = ?", (broadcast["id"],)
                )
                counts = json.loads(row["pruned_counts"])
                for state, n in await db.execute_fetchall(
                    f"SELECT state, COUNT(*) FROM outbox WHERE {copies} GROUP BY state",
                    (broadcast["id"],),
                ):
                    counts[state] = counts.get(state, 0) + n
                await db.execute(
                    "UPDATE broadcasts SET pruned_counts = ? WHERE id = ?",
                    (json.dumps(counts), broadcast["id"]),
                )
                cursor = await db.execute(f"DELETE FROM outbox WHERE {copies}", (broadcast["id"],))
                removed += cursor.rowcount
        return removed

    async def ticket_of_message(self, chat_id: int, message_id: int) -> int | None:
        """The ticket a message the bot sent belongs to (for replies to cards and notices)."""
        row = await self._fetchone(
            "SELECT ticket_id FROM outbox WHERE chat_id = ? AND message_id = ?",
            (chat_id, message_id),
        )
        return row["ticket_id"] if row else None

    # ------------------------------------------------------------------ agency chat links

    async def agency_links(self) -> dict[str, AgencyLink]:
        """The chats linked to agencies from Telegram, by agency key."""
        async with self._lock:
            return await agency_links.all_links(self._db)

    async def link_agency_chat(
        self, agency: str, chat_id: int, by: int | None, note: str = ""
    ) -> None:
        """From now on `agency` receives its tickets in `chat_id`, whatever the catalog says."""
        async with self._transaction() as db:
            await agency_links.link(db, [agency], chat_id, _ts(self.now()), by, note)
            await self._audit(db, by, "link", f"{agency}:{chat_id}")

    async def unlink_agency_chat(self, agency: str, by: int | None) -> bool:
        """Forget the agency's link: the catalog's chat_id applies again."""
        async with self._transaction() as db:
            await self._audit(db, by, "unlink", agency)
            return await agency_links.unlink(db, agency)

    # ------------------------------------------------------------------ broadcasts

    async def audience(self, neighborhoods: list[str] | None) -> list[int]:
        """Residents who want announcements and have not blocked the bot (None: everyone)."""
        rows = await self._fetchall(
            "SELECT user_id FROM residents WHERE active = 1 AND announcements = 1"
            " AND (?1 IS NULL OR neighborhood IN (SELECT value FROM json_each(?1)))"
            " ORDER BY user_id",
            (None if neighborhoods is None else json.dumps(neighborhoods),),
        )
        return [row["user_id"] for row in rows]

    async def create_broadcast(
        self,
        author_id: int,
        audience: dict[str, Any],
        kind: str,
        text: str,
        file_id: str | None,
        scheduled_at: datetime | None,
    ) -> Broadcast:
        now = _ts(self.now())
        async with self._transaction() as db:
            cursor = await db.execute(
                "INSERT INTO broadcasts (author_id, audience, kind, text, file_id, state,"
                " scheduled_at, created_at) VALUES (?, ?, ?, ?, ?, 'scheduled', ?, ?)",
                (author_id, json.dumps(audience), kind, text, file_id,
                 _ts(scheduled_at) if scheduled_at else now, now),
            )  # fmt: skip
            broadcast_id = cursor.lastrowid
            assert broadcast_id is not None
            await self._audit(db, author_id, "broadcast", str(broadcast_id))
        created = await self.get_broadcast(broadcast_id)
        assert created is not None
        return created

    async def start_broadcast(self, broadcast_id: int, messages: list[Outgoing]) -> bool:
        """Owe every recipient their copy, in one go; False if it was started or cancelled."""
        async with self._transaction() as db:
            cursor = await db.execute(
                "UPDATE broadcasts SET state = 'sending', started_at = ?, total = ?"
                " WHERE id = ? AND state = 'scheduled'",
                (_ts(self.now()), len(messages), broadcast_id),
            )
            if cursor.rowcount == 0:
                return False
            await self._enqueue(db, messages)
            return True

    async def get_broadcast(self, broadcast_id: int) -> Broadcast | None:
        row = await self._fetchone("SELECT * FROM broadcasts WHERE id = ?", (broadcast_id,))
        return _broadcast(row) if row else None

    async def broadcasts_in(self, state: str, due_by: datetime | None = None) -> list[Broadcast]:
        rows = await self._fetchall(
            "SELECT * FROM broadcasts WHERE state = ? AND (? IS NULL OR scheduled_at <= ?)"
            " ORDER BY id",
            (state, *([_ts(due_by)] * 2 if due_by else [None, None])),
        )
        return [_broadcast(row) for row in rows]

    async def recent_broadcasts(self, limit: int, author_id: int | None = None) -> list[Broadcast]:
        rows = await self._fetchall(
            "SELECT * FROM broadcasts WHERE ?1 IS NULL OR author_id = ?1 ORDER BY id DESC LIMIT ?2",
            (author_id, limit),
        )
        return [_broadcast(row) for row in rows]

    async def set_progress_message(self, broadcast_id: int, chat_id: int, message_id: int) -> None:
        async with self._transaction() as db:
            await db.execute(
                "UPDATE broadcasts SET progress_chat_id = ?, progress_message_id = ? WHERE id = ?",
                (chat_id, message_id, broadcast_id),
            )

    async def finish_broadcast(self, broadcast_id: int) -> None:
        async with self._transaction() as db:
            await db.execute(
                "UPDATE broadcasts SET state = 'done', finished_at = ?"
                " WHERE id = ? AND state = 'sending'",
                (_ts(self.now()), broadcast_id),
            )

    async def cancel_broadcast(self, broadcast_id: int) -> int:
        """Stop it: what is not yet sent is never sent. Returns how many copies were dropped."""
        async with self._transaction() as db:
            cursor = await db.execute(
                "UPDATE outbox SET state = 'cancelled'"
                " WHERE broadcast_id = ? AND state = 'pending'",
                (broadcast_id,),
            )
            await db.execute(
                "UPDATE broadcasts SET state = 'cancelled', finished_at = ?"
                " WHERE id = ? AND state IN ('scheduled', 'sending')",
                (_ts(self.now()), broadcast_id),
            )
            return cursor.rowcount
