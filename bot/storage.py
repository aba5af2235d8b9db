"""The one place with SQL: an aiosqlite database with numbered migrations.

One connection, used by one task at a time (an asyncio lock), so that a transaction of one
handler never takes in the statements of another. Timestamps are stored as UTC ISO-8601 text.
Every method returns plain values or dataclasses; nothing here knows about Telegram.
"""

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiosqlite

from bot.jalali import utc_now

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


@dataclass(frozen=True, slots=True)
class StaffRole:
    user_id: int
    role: str  # 'facilitator' (scope: neighborhood key) or 'agency' (scope: agency key)
    scope: str


FACILITATOR = "facilitator"
AGENCY = "agency"


def _ts(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _dt(text: str) -> datetime:
    return datetime.fromisoformat(text)


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


class Storage:
    def __init__(self, path: Path | str, clock: Clock = utc_now) -> None:
        self.path = path
        self.clock = clock
        self._db: aiosqlite.Connection = None  # type: ignore[assignment]  # set by connect()
        self._lock = asyncio.Lock()

    async def connect(self) -> None:
        """Open (creating folder and file) and bring the schema up to date."""
        if str(self.path) != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._db = await aiosqlite.connect(self.path, isolation_level=None)
        self._db.row_factory = aiosqlite.Row
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
        async with self._lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise
            await self._db.execute("COMMIT")

    async def _fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[aiosqlite.Row]:
        async with self._lock, self._db.execute(sql, tuple(params)) as cursor:
            return list(await cursor.fetchall())

    async def _fetchone(self, sql: str, params: Iterable[Any] = ()) -> aiosqlite.Row | None:
        async with self._lock, self._db.execute(sql, tuple(params)) as cursor:
            return await cursor.fetchone()

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
                for statement in filter(str.strip, script.split(";")):
                    await db.execute(statement)
                await db.execute(
                    "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                    (version, _ts(self.now())),
                )
            _LOGGER.info("Database schema migrated to version %d", version)

    async def schema_version(self) -> int:
        row = await self._fetchone("SELECT MAX(version) AS v FROM schema_version")
        return int(row["v"]) if row and row["v"] is not None else 0

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
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO residents (user_id, first_name, neighborhood, phone, created_at,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (user_id) DO UPDATE SET first_name = excluded.first_name,"
                " neighborhood = excluded.neighborhood,"
                " phone = COALESCE(excluded.phone, residents.phone),"
                " active = 1, updated_at = excluded.updated_at",
                (user_id, first_name, neighborhood, phone, now, now),
            )
        resident = await self.get_resident(user_id)
        assert resident is not None  # just written
        return resident

    async def set_neighborhood(self, user_id: int, neighborhood: str) -> Resident | None:
        return await self._update_resident(user_id, "neighborhood", neighborhood)

    async def set_phone(self, user_id: int, phone: str | None) -> Resident | None:
        return await self._update_resident(user_id, "phone", phone)

    async def set_active(self, user_id: int, active: bool) -> Resident | None:
        return await self._update_resident(user_id, "active", int(active))

    async def _update_resident(self, user_id: int, column: str, value: Any) -> Resident | None:
        assert column in {"neighborhood", "phone", "active", "announcements", "muted"}
        async with self._transaction() as db:
            await db.execute(
                f"UPDATE residents SET {column} = ?, updated_at = ? WHERE user_id = ?",
                (value, _ts(self.now()), user_id),
            )
        return await self.get_resident(user_id)

    # ------------------------------------------------------------------ staff roles

    async def grant_role(self, user_id: int, role: str, scope: str, granted_by: int | None) -> None:
        async with self._transaction() as db:
            await db.execute(
                "INSERT OR IGNORE INTO staff_roles (user_id, role, scope, granted_by, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (user_id, role, scope, granted_by, _ts(self.now())),
            )
            await self._audit(db, granted_by, "grant", f"{role}:{scope}:{user_id}")

    async def revoke_role(
        self, user_id: int, role: str, scope: str, revoked_by: int | None
    ) -> bool:
        async with self._transaction() as db:
            cursor = await db.execute(
                "DELETE FROM staff_roles WHERE user_id = ? AND role = ? AND scope = ?",
                (user_id, role, scope),
            )
            await self._audit(db, revoked_by, "revoke", f"{role}:{scope}:{user_id}")
            return cursor.rowcount > 0

    async def roles_of(self, user_id: int) -> list[StaffRole]:
        rows = await self._fetchall(
            "SELECT user_id, role, scope FROM staff_roles WHERE user_id = ? ORDER BY role, scope",
            (user_id,),
        )
        return [StaffRole(r["user_id"], r["role"], r["scope"]) for r in rows]

    async def staff(self, role: str | None = None, scope: str | None = None) -> list[StaffRole]:
        rows = await self._fetchall(
            "SELECT user_id, role, scope FROM staff_roles"
            " WHERE (?1 IS NULL OR role = ?1) AND (?2 IS NULL OR scope = ?2)"
            " ORDER BY role, scope, user_id",
            (role, scope),
        )
        return [StaffRole(r["user_id"], r["role"], r["scope"]) for r in rows]

    async def has_role(self, user_id: int, role: str, scope: str) -> bool:
        row = await self._fetchone(
            "SELECT 1 FROM staff_roles WHERE user_id = ? AND role = ? AND scope = ?",
            (user_id, role, scope),
        )
        return row is not None

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

    async def save_state(self, kind: str, key: str, value: Any) -> None:
        """Store one value; None deletes it."""
        async with self._transaction() as db:
            if value is None:
                await db.execute("DELETE FROM persistence WHERE kind = ? AND key = ?", (kind, key))
            else:
                await db.execute(
                    "INSERT INTO persistence (kind, key, data, updated_at) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT (kind, key) DO UPDATE SET data = excluded.data,"
                    " updated_at = excluded.updated_at",
                    (kind, key, json.dumps(value, ensure_ascii=False), _ts(self.now())),
                )

    async def purge_state(self, kind_prefix: str, idle: timedelta) -> int:
        """Delete values of kinds starting with `kind_prefix` untouched for longer than `idle`."""
        async with self._transaction() as db:
            cursor = await db.execute(
                "DELETE FROM persistence WHERE substr(kind, 1, ?) = ? AND updated_at < ?",
                (len(kind_prefix), kind_prefix, _ts(self.now() - idle)),
            )
            return cursor.rowcount
