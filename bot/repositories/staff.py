"""Staff roles: who holds which role (`bot.access.Role`) where (its scope: a neighborhood key, an
agency key, or `PROVINCE`). `bot.access` turns a person's roles into what they may do.

Functions take a connection; `bot.storage.Storage` calls them inside its lock or transaction.
"""

import logging
from dataclasses import dataclass

import aiosqlite

from bot.access import Role, check_role

_LOGGER = logging.getLogger(__name__)

# Appended to `bot.storage.MIGRATIONS`: the table without its CHECK on role, so that a new role
# (the supervisor's, and later ones) needs no rebuild; `check_role` validates in Python. SQLite
# cannot drop a constraint: create the new table, copy, drop the old one, rename, re-index.
WITHOUT_ROLE_CHECK = """
CREATE TABLE staff_roles_new (
    user_id INTEGER NOT NULL,
    role TEXT NOT NULL,
    scope TEXT NOT NULL,
    granted_by INTEGER,
    created_at TEXT NOT NULL,
    PRIMARY KEY (user_id, role, scope)
);
INSERT INTO staff_roles_new (user_id, role, scope, granted_by, created_at)
    SELECT user_id, role, scope, granted_by, created_at FROM staff_roles;
DROP TABLE staff_roles;
ALTER TABLE staff_roles_new RENAME TO staff_roles;
CREATE INDEX staff_roles_by_scope ON staff_roles (role, scope);
"""


@dataclass(frozen=True, slots=True)
class StaffRole:
    user_id: int
    role: Role
    scope: str  # a neighborhood key (facilitator), an agency key (agency), PROVINCE (supervisor)


def _roles(rows: list[aiosqlite.Row]) -> list[StaffRole]:
    """Rows as roles; a role this code does not know (written by a newer version) grants
    nothing here, and is logged."""
    roles = []
    for row in rows:
        try:
            roles.append(StaffRole(row["user_id"], Role(row["role"]), row["scope"]))
        except ValueError:
            _LOGGER.warning("Ignored unknown role %r of user %s", row["role"], row["user_id"])
    return roles


async def grant(
    db: aiosqlite.Connection, user_id: int, role: str, scope: str, by: int | None, at: str
) -> None:
    """Give `role` in `scope` (once: granting it again changes nothing). ValueError if the
    role is unknown or the scope does not suit it."""
    await db.execute(
        "INSERT INTO staff_roles (user_id, role, scope, granted_by, created_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (user_id, str(check_role(role, scope)), scope, by, at),
    )


async def revoke(db: aiosqlite.Connection, user_id: int, role: str, scope: str) -> bool:
    """Take the role back; False if they did not hold it."""
    cursor = await db.execute(
        "DELETE FROM staff_roles WHERE user_id = ? AND role = ? AND scope = ?",
        (user_id, str(role), scope),
    )
    return cursor.rowcount > 0


async def roles_of(db: aiosqlite.Connection, user_id: int) -> list[StaffRole]:
    rows = await db.execute_fetchall(
        "SELECT user_id, role, scope FROM staff_roles WHERE user_id = ? ORDER BY role, scope",
        (user_id,),
    )
    return _roles(list(rows))


async def holders(
    db: aiosqlite.Connection, role: str | None = None, scope: str | None = None
) -> list[StaffRole]:
    """Everyone holding a role (of `role`, in `scope`, when given), by role, scope and id."""
    rows = await db.execute_fetchall(
        "SELECT user_id, role, scope FROM staff_roles"
        " WHERE (:role IS NULL OR role = :role) AND (:scope IS NULL OR scope = :scope)"
        " ORDER BY role, scope, user_id",
        {"role": None if role is None else str(role), "scope": scope},
    )
    return _roles(list(rows))


def scope_renames(role: Role) -> tuple[str, ...]:
    """Statements moving `role`'s scope :old to :new (a catalog key renamed); where the person
    already holds the new one, the old row goes."""
    return (
        f"UPDATE OR IGNORE staff_roles SET scope = :new WHERE role = '{role}' AND scope = :old",
        f"DELETE FROM staff_roles WHERE role = '{role}' AND scope = :old",
    )
